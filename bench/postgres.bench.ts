/**
 * PostgresModelStore on a throwaway local PostgreSQL (initdb into a temp dir,
 * unix socket; fsync off, so this measures the store and the protocol, not
 * the disk): put and get latency (median, p99) at d = 10 and d = 1,000,
 * versions/s with 1 and 4 concurrent writers, and champion-notification
 * latency (setAlias call → watcher callback, another connection). Beside it,
 * in the same run, the embedded default FileModelStore (fsync off too, a temp
 * dir; its watch is fs.watch on the model folder, another store object) and
 * PGlite (in-process WebAssembly), so the cost of one shared registry is
 * read against what it replaces.
 *
 *   npm run bench:postgres
 *
 * Results: printed and written to bench/results/postgres-<time>.{json,txt}.
 */
import { PGlite } from "@electric-sql/pglite";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import { LinearRegression, SeededRandom, VERSION, type ModelStore, type WatchableModelStore } from "../src/index.js";
import { FileModelStore } from "../src/node/index.js";
import { PostgresModelStore } from "../src/postgres/index.js";
import { pgUnavailableReason, startPgServer } from "../test/postgres/pg-server.js";

const quantile = (a: number[], q: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const r2 = (x: number): number => Math.round(x * 100) / 100;

function trained(d: number): LinearRegression {
  const rng = new SeededRandom(d);
  const m = new LinearRegression({ l2: 1e-3 });
  const rows = Math.max(2 * d, 100);
  const X = new Float64Array(rows * d);
  for (let k = 0; k < X.length; k++) X[k] = rng.nextGaussian();
  m.update({ X, cols: d, y: Float64Array.from({ length: rows }, () => rng.nextGaussian()) });
  return m;
}

async function latency(label: string, store: ModelStore, d: number, n: number) {
  console.error(`measuring ${label}, d = ${d} …`);
  const input = { name: `lat${d}`, trainer: trained(d).toJSON(), metrics: { rmse: 1 } };
  await store.put(input);
  const puts: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await store.put(input);
    puts.push(performance.now() - s);
  }
  const gets: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await store.get(`lat${d}`, 2 + (i % n));
    gets.push(performance.now() - s);
  }
  return { store: label, d, n, putMedianMs: r2(quantile(puts, 0.5)), putP99Ms: r2(quantile(puts, 0.99)), getMedianMs: r2(quantile(gets, 0.5)), getP99Ms: r2(quantile(gets, 0.99)) };
}

async function throughput(label: string, store: ModelStore, writers: number, total: number) {
  const input = { name: `tp${writers}`, trainer: trained(10).toJSON() };
  await store.put(input);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = 0; i < total / writers; i++) await store.put(input);
    }),
  );
  const s = (performance.now() - t0) / 1e3;
  const versions = (await store.list(`tp${writers}`, { limit: 10_000 })).versions.map((v) => v.version).sort((a, b) => a - b);
  const gapless = versions.length === total + 1 && versions.every((v, i) => v === i + 1);
  return { store: label, writers, versions: total, versionsPerSec: Math.round(total / s), gapless };
}

async function notifyLatency(label: string, store: ModelStore, watching: WatchableModelStore, n: number) {
  const v = await store.put({ name: "watch", trainer: trained(10).toJSON() });
  const latencies: number[] = [];
  let started = 0;
  let resolveChange: (() => void) | null = null;
  const w = watching.watch("watch", "champion", () => {
    latencies.push(performance.now() - started);
    resolveChange?.();
  });
  await w.ready;
  for (let i = 0; i < n; i++) {
    const seen = new Promise<void>((r) => (resolveChange = r));
    started = performance.now();
    await store.setAlias("watch", "champion", v);
    await seen;
  }
  await w.close();
  return { store: label, promotions: n, p50Ms: r2(quantile(latencies, 0.5)), p99Ms: r2(quantile(latencies, 0.99)) };
}

const unavailable = pgUnavailableReason();
if (unavailable !== null) {
  console.log(`bench:postgres skipped: ${unavailable}`);
  process.exit(0);
}
const server = startPgServer();
const pool = server.pool(8);
const watchPool = server.pool(2);
const lite = new PGlite();
const fileDir = mkdtempSync(join(tmpdir(), "freshml-bench-file-"));
try {
  const fileStore = new FileModelStore(fileDir, { fsync: false });
  const fileWatching = new FileModelStore(fileDir, { fsync: false });
  const store = new PostgresModelStore(pool, { schema: "bench" });
  const watching = new PostgresModelStore(watchPool, { schema: "bench" });
  const liteStore = new PostgresModelStore(lite, { schema: "bench" });
  await store.init();
  await liteStore.init();

  const latencyRows = [
    await latency("postgres 15 (unix socket)", store, 10, 300),
    await latency("postgres 15 (unix socket)", store, 1000, 15),
    await latency("pglite (in process)", liteStore, 10, 300),
    await latency("pglite (in process)", liteStore, 1000, 5),
    await latency("file store (fsync off)", fileStore, 10, 300),
    await latency("file store (fsync off)", fileStore, 1000, 15),
  ];
  const throughputRows = [
    await throughput("postgres 15", store, 1, 400),
    await throughput("postgres 15", store, 4, 400),
    await throughput("file store", fileStore, 1, 400),
    await throughput("file store", fileStore, 4, 400),
  ];
  const notifyRows = [
    await notifyLatency("postgres 15 (LISTEN/NOTIFY, another connection)", store, watching, 200),
    await notifyLatency("file store (fs.watch, another store object)", fileStore, fileWatching, 200),
  ];
  const host = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? "?", loadNote: "shared machine: 2 cores, other jobs running" };
  const lines = [
    `freshml ${VERSION} — PostgresModelStore (${new Date().toISOString()}, ${host.node}, ${host.cpus} × ${host.cpu}; ${host.loadNote})`,
    "",
    "store                        d      n   put median   put p99   get median   get p99   (ms)",
    ...latencyRows.map(
      (r) =>
        `${r.store.padEnd(28)} ${String(r.d).padStart(5)} ${String(r.n).padStart(5)} ${String(r.putMedianMs).padStart(11)} ${String(r.putP99Ms).padStart(9)} ${String(r.getMedianMs).padStart(12)} ${String(r.getP99Ms).padStart(9)}`,
    ),
    "",
    ...throughputRows.map((r) => `${r.store.padEnd(12)} versions/s, ${r.writers} writer${r.writers > 1 ? "s" : ""} (d = 10, ${r.versions} puts): ${r.versionsPerSec}  (numbers gapless: ${r.gapless})`),
    "",
    ...notifyRows.map((n) => `champion notification, ${n.store} (setAlias call → watcher callback), ${n.promotions} promotions: p50 ${n.p50Ms} ms, p99 ${n.p99Ms} ms`),
  ];
  const text = lines.join("\n");
  console.log(text);
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  writeFileSync(join(dir, `postgres-${stamp}.json`), JSON.stringify({ version: VERSION, host, latency: latencyRows, throughput: throughputRows, notify: notifyRows }, null, 2));
  writeFileSync(join(dir, `postgres-${stamp}.txt`), `${text}\n`);
} finally {
  await pool.end();
  await watchPool.end();
  await lite.close();
  server.stop();
  rmSync(fileDir, { recursive: true, force: true });
}
