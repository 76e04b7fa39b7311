/**
 * A process for the file-store watch and fencing tests (not a test itself).
 *   promote <root>                 on each stdin line "go": put + setAlias champion, print "moved <version> <callStartMs>";
 *                                  on "burst <n>": n promotions back to back, then "burst <lastVersion>"
 *   fenced <root> <holder> <ttlMs> acquire the FileLease "model" on <root> for a minute, print "granted <token>", then on each
 *                                  stdin line "write": put + setAlias with { fence }, print "ok <version>" or "refused <code>";
 *                                  on "renew": renew the grant for <ttlMs>, print "renewed <token>" (so the first write never
 *                                  races a short TTL on a loaded machine; the pause that follows must outlast <ttlMs>)
 */
import { createInterface } from "node:readline";
import { LinearRegression } from "../../src/index.js";
import { FileLease, FileModelStore } from "../../src/node/index.js";

const [mode, root, a, b] = process.argv.slice(2);
const store = new FileModelStore(root!, { fsync: false });

function record(seq: number) {
  const m = new LinearRegression({ l2: 0.01 });
  m.update({ X: [[seq], [seq + 1], [seq + 2]], y: [1, 2, seq] });
  return { name: "model", trainer: m.toJSON(), tags: { seq: String(seq) } };
}

let seq = 0;
const out = (line: string): boolean => process.stdout.write(`${line}\n`);

if (mode === "promote") {
  out("ready");
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, n] = line.trim().split(" ");
    if (cmd === "go") {
      const v = await store.put(record(seq++));
      const t0 = Date.now();
      await store.setAlias("model", "champion", v);
      out(`moved ${v} ${t0}`);
    } else if (cmd === "burst") {
      let v = 0;
      for (let i = 0; i < Number(n); i++) v = await store.putAndAlias(record(seq++), "champion");
      out(`burst ${v}`);
    }
  }
} else if (mode === "fenced") {
  const lease = new FileLease(root!);
  const attempt = await lease.acquire("model", a!, { ttlMs: 60_000 });
  if (!attempt.acquired) {
    out(`held ${attempt.holder.holder}`);
    process.exit(0);
  }
  const grant = attempt.grant;
  out(`granted ${grant.token}`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === "renew") {
      out(`renewed ${(await lease.renew(grant, { ttlMs: Number(b) })).token}`);
      continue;
    }
    if (line.trim() !== "write") continue;
    try {
      const v = await store.put(record(seq++), { fence: grant });
      await store.setAlias("model", "champion", v, { fence: grant });
      out(`ok ${v}`);
    } catch (err) {
      out(`refused ${(err as { code?: string }).code ?? String(err)}`);
    }
  }
}
