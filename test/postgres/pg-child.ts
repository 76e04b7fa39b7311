/**
 * A process for the PostgreSQL process tests (not a test itself). Connects
 * with PGHOST/PGPORT/PGUSER/PGDATABASE.
 *   puts <schema> <writer> <count>   put <count> versions tagged with the writer, moving champion to each
 *   fenced <schema> <holder> <ttlMs> acquire the lease "model" for a minute, print "granted <token>", then on each line
 *                                    "write" on stdin put + setAlias with { fence } and print "ok <version>" or "refused <code>";
 *                                    on "renew": renew the grant for <ttlMs>, print "renewed <token>" (so the first write
 *                                    never races a short TTL on a loaded machine; the pause that follows must outlast <ttlMs>)
 *   watch <schema>                   watch model/champion; print "change <version> <source> <receivedAtMs>" per change
 *   replica <schema> <id>            a Scheduler ticking every second with a PostgresLease (TTL 1.5 s): print
 *                                    "start <tick>" when a run begins, put (fenced), work ~300 ms, move champion
 *                                    (fenced), print "done <tick> <version>"; "skipped <holder>" when not the holder
 */
import { createInterface } from "node:readline";
import pg from "pg";
import { LinearRegression, Scheduler } from "../../src/index.js";
import { PostgresLease, PostgresModelStore } from "../../src/postgres/index.js";

const [mode, schema, a, b] = process.argv.slice(2);
const pool = new pg.Pool({ max: 4 });
pool.on("error", () => undefined);
const store = new PostgresModelStore(pool, { schema: schema! });

function record(seq: number, writer: string) {
  const m = new LinearRegression({ l2: 0.01 });
  m.update({ X: [[seq], [seq + 1], [seq + 2]], y: [1, 2, seq] });
  return { name: "model", trainer: m.toJSON(), metrics: { rmse: seq }, tags: { writer, seq: String(seq) } };
}

if (mode === "puts") {
  await store.init();
  process.stdout.write("ready\n");
  for (let i = 0; i < Number(b); i++) {
    const v = await store.put(record(i, a!));
    await store.setAlias("model", "champion", v);
  }
  await pool.end();
} else if (mode === "fenced") {
  const lease = new PostgresLease(pool, { schema: schema! });
  const attempt = await lease.acquire("model", a!, { ttlMs: 60_000 });
  if (!attempt.acquired) {
    process.stdout.write(`held ${attempt.holder.holder}\n`);
    process.exit(0);
  }
  const grant = attempt.grant;
  process.stdout.write(`granted ${grant.token}\n`);
  let seq = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === "renew") {
      process.stdout.write(`renewed ${(await lease.renew(grant, { ttlMs: Number(b) })).token}\n`);
      continue;
    }
    if (line.trim() !== "write") continue;
    try {
      const v = await store.put(record(seq++, a!), { fence: grant });
      await store.setAlias("model", "champion", v, { fence: grant });
      process.stdout.write(`ok ${v}\n`);
    } catch (err) {
      process.stdout.write(`refused ${(err as { code?: string }).code ?? String(err)}\n`);
    }
  }
  await pool.end();
} else if (mode === "watch") {
  const watcher = store.watch("model", "champion", (c) => process.stdout.write(`change ${c.version} ${c.source} ${Date.now()}\n`), {
    onError: (e) => process.stdout.write(`error ${(e as { code?: string }).code ?? ""}\n`),
  });
  await watcher.ready;
  process.stdout.write("ready\n");
  process.on("SIGTERM", () => void watcher.close().then(() => pool.end()).then(() => process.exit(0)));
}

if (mode === "replica") {
  const lease = new PostgresLease(pool, { schema: schema! });
  await store.init();
  const scheduler = new Scheduler({
    cron: "* * * * * *",
    lease: { lease, name: "model", holder: a!, ttlMs: 1500 },
    run: async ({ lease: fence, reason }) => {
      const tick = reason.replace(/^cron \S+ \S+ \S+ \S+ \S+ \S+ at /, "");
      process.stdout.write(`start ${tick}\n`);
      const v = await store.put({ ...record(0, a!), tags: { writer: a!, tick } }, { fence });
      await new Promise((r) => setTimeout(r, 300)); // the run's work
      await store.setAlias("model", "champion", v, { fence });
      process.stdout.write(`done ${tick} ${v}\n`);
    },
    onEvent: (e) => {
      if (e.type === "skipped") process.stdout.write(`skipped ${e.holder ?? e.why}\n`);
      if (e.type === "run_failed") process.stdout.write(`failed ${(e.error as { code?: string }).code ?? String(e.error)}\n`);
    },
  });
  scheduler.start();
  process.stdout.write("ready\n");
  process.on("SIGTERM", () => void scheduler.stop().then(() => pool.end()).then(() => process.exit(0)));
}
