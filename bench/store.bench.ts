/**
 * ModelStore latency: put and get (median, p99) of a LinearRegression whose
 * state holds d = 10 and d = 1,000 sufficient statistics, versions/s of a put
 * loop, and bytes on disk per version — for the file store (fsync on every
 * write) and, for comparison, the memory store.
 *
 *   npm run bench:store                 (or npm run bench, with the learner bench)
 *
 * Results: printed as a table and written to bench/results/store-<time>.json.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LinearRegression, MemoryModelStore, SeededRandom, VERSION, type ModelStore } from "../src/index.js";
import { FileModelStore } from "../src/node/index.js";

const quantile = (a: number[], q: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

function trained(d: number): LinearRegression {
  const rng = new SeededRandom(d);
  const m = new LinearRegression({ l2: 1e-3 });
  const rows = Math.max(2 * d, 100);
  const X = new Float64Array(rows * d);
  for (let k = 0; k < X.length; k++) X[k] = rng.nextGaussian();
  m.update({ X, cols: d, y: Float64Array.from({ length: rows }, () => rng.nextGaussian()) });
  return m;
}

interface Row {
  store: string;
  d: number;
  puts: number;
  putMedianMs: number;
  putP99Ms: number;
  getMedianMs: number;
  getP99Ms: number;
  versionsPerSec: number;
  bytesPerVersion: number | null;
}

async function measure(label: string, store: ModelStore, d: number, n: number, dir: string | null): Promise<Row> {
  const trainer = trained(d).toJSON();
  const input = { name: "bench", trainer, metrics: { rmse: 1 }, data: { batches: 1, rows: 100, fingerprint: "x" } };
  await store.put(input); // warm-up
  const puts: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await store.put(input);
    puts.push(performance.now() - s);
  }
  const loopS = (performance.now() - t0) / 1e3;
  const gets: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await store.get("bench", 2 + (i % n));
    gets.push(performance.now() - s);
  }
  let bytes: number | null = null;
  if (dir) {
    const vdir = join(dir, "bench", "versions");
    const files = readdirSync(vdir).filter((f) => f.endsWith(".json"));
    bytes = files.reduce((s, f) => s + statSync(join(vdir, f)).size, 0) / files.length;
  }
  return {
    store: label,
    d,
    puts: n,
    putMedianMs: quantile(puts, 0.5),
    putP99Ms: quantile(puts, 0.99),
    getMedianMs: quantile(gets, 0.5),
    getP99Ms: quantile(gets, 0.99),
    versionsPerSec: n / loopS,
    bytesPerVersion: bytes,
  };
}

const started = new Date();
console.log(`# freshml ${VERSION} store bench  ${started.toISOString()}  node ${process.version}`);
const rows: Row[] = [];
for (const [d, n] of [
  [10, 300],
  [1000, 15],
] as const) {
  const dir = mkdtempSync(join(tmpdir(), "freshml-store-bench-"));
  try {
    rows.push(await measure("FileModelStore", new FileModelStore(dir), d, n, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  rows.push(await measure("MemoryModelStore", new MemoryModelStore(), d, n, null));
}

const f = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
console.log("\n| store | d (state numbers) | puts | put median ms | put p99 ms | get median ms | get p99 ms | versions/s | bytes/version |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.store} | ${r.d} (${(r.d * (r.d + 1)) / 2 + 2 * r.d + 3}) | ${r.puts} | ${f(r.putMedianMs)} | ${f(r.putP99Ms)} | ${f(r.getMedianMs)} | ${f(r.getP99Ms)} | ${f(r.versionsPerSec)} | ${r.bytesPerVersion === null ? "" : Math.round(r.bytesPerVersion).toLocaleString("en-US")} |`,
  );
}
const outDir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(outDir, { recursive: true });
const out = join(outDir, `store-${started.toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(out, JSON.stringify({ started: started.toISOString(), node: process.version, freshml: VERSION, rows }, null, 1));
console.log(`\nwrote ${out}`);
