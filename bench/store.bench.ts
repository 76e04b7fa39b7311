/**
 * ModelStore latency: put and get (median, p99) of a LinearRegression whose
 * state holds d = 10 and d = 1,000 sufficient statistics, versions/s of a put
 * loop, and bytes on disk per version — for the file store (fsync on every
 * write) and, for comparison, the memory store.
 *
 * A long life: 10,000 pipeline-like saves on the file store (put, then
 * setAlias of "champion": what a promotion costs), with the median ms per save
 * of the first 1,000 and of the last 1,000 and their ratio (flat cost: ≤ 1.2;
 * the last 1,000 alternate with a fresh model's first 1,000, so that ratio is
 * also taken under the same load), and `list` (limit 1,000) and `verify` when
 * the model has 1,000 versions.
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

interface LongLife {
  saves: number;
  /** Median ms per save of the model's saves 1–1,000 (run first). */
  firstMedianMs: number;
  /** Median ms per save of its saves 9,001–10,000. */
  lastMedianMs: number;
  /** lastMedianMs / firstMedianMs: sensitive to the machine's load changing over the run. */
  ratio: number;
  /** Median ms per save of a second model's saves 1–1,000, taken alternately with the first model's last 1,000. */
  pairedFirstMedianMs: number;
  /** lastMedianMs / pairedFirstMedianMs: the same comparison under the same load. */
  pairedRatio: number;
  listAt1000Ms: number;
  verifyAt1000Ms: number;
  aliasHistoryLength: number;
  lastSeq: number;
}

/**
 * 10,000 saves (put + setAlias) on one file store model; list and verify
 * timed at 1,000 versions. Its last 1,000 saves alternate with the first
 * 1,000 of a fresh model in the same folder, so the two medians compared
 * were measured under the same load of the machine.
 */
async function longLife(saves: number): Promise<LongLife> {
  const dir = mkdtempSync(join(tmpdir(), "freshml-store-bench-life-"));
  try {
    const store = new FileModelStore(dir);
    const trainer = trained(10).toJSON();
    const times: number[] = [];
    const fresh: number[] = [];
    let listAt1000Ms = NaN;
    let verifyAt1000Ms = NaN;
    const save = async (name: string, i: number): Promise<number> => {
      const s = performance.now();
      const v = await store.put({ name, trainer, parent: i > 1 ? i - 1 : null, metrics: { rmse: 1 }, data: { batches: 1, rows: 100, fingerprint: "x" } });
      await store.setAlias(name, "champion", v);
      return performance.now() - s;
    };
    for (let i = 1; i <= saves; i++) {
      times.push(await save("bench", i));
      if (i > saves - 1000) fresh.push(await save("fresh", i - (saves - 1000)));
      if (i === 1000) {
        const lists: number[] = [];
        const verifies: number[] = [];
        for (let k = 0; k < 3; k++) {
          let t = performance.now();
          const page = await store.list("bench", { limit: 1000 });
          lists.push(performance.now() - t);
          if (page.versions.length !== 1000) throw new Error(`list returned ${page.versions.length}`);
          t = performance.now();
          await store.verify("bench");
          verifies.push(performance.now() - t);
        }
        listAt1000Ms = quantile(lists, 0.5);
        verifyAt1000Ms = quantile(verifies, 0.5);
      }
    }
    const firstMedianMs = quantile(times.slice(0, 1000), 0.5);
    const lastMedianMs = quantile(times.slice(-1000), 0.5);
    const pairedFirstMedianMs = quantile(fresh, 0.5);
    const history = await store.aliasHistory("bench", "champion");
    return {
      saves,
      firstMedianMs,
      lastMedianMs,
      ratio: lastMedianMs / firstMedianMs,
      pairedFirstMedianMs,
      pairedRatio: lastMedianMs / pairedFirstMedianMs,
      listAt1000Ms,
      verifyAt1000Ms,
      aliasHistoryLength: history.length,
      lastSeq: history[history.length - 1]!.seq,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const life = await longLife(10_000);

const f = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
console.log("\n| store | d (state numbers) | puts | put median ms | put p99 ms | get median ms | get p99 ms | versions/s | bytes/version |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.store} | ${r.d} (${(r.d * (r.d + 1)) / 2 + 2 * r.d + 3}) | ${r.puts} | ${f(r.putMedianMs)} | ${f(r.putP99Ms)} | ${f(r.getMedianMs)} | ${f(r.getP99Ms)} | ${f(r.versionsPerSec)} | ${r.bytesPerVersion === null ? "" : Math.round(r.bytesPerVersion).toLocaleString("en-US")} |`,
  );
}
console.log("\n| FileModelStore, 10,000 saves (put + setAlias) | value |");
console.log("|---|---|");
console.log(`| median ms per save, saves 1–1,000 | ${f(life.firstMedianMs)} |`);
console.log(`| median ms per save, saves 9,001–10,000 | ${f(life.lastMedianMs)} |`);
console.log(`| ratio last / first (run apart: includes load changes) | ${life.ratio.toFixed(2)} |`);
console.log(`| median ms per save, a second model's saves 1–1,000, alternating with the last 1,000 | ${f(life.pairedFirstMedianMs)} |`);
console.log(`| ratio last / first under the same load (flat: ≤ 1.2) | ${life.pairedRatio.toFixed(2)} |`);
console.log(`| list (limit 1,000) at 1,000 versions, ms | ${f(life.listAt1000Ms)} |`);
console.log(`| verify at 1,000 versions, ms | ${f(life.verifyAt1000Ms)} |`);
console.log(`| champion history kept / moves | ${life.aliasHistoryLength} / ${life.lastSeq} |`);
const outDir = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(outDir, { recursive: true });
const out = join(outDir, `store-${started.toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(out, JSON.stringify({ started: started.toISOString(), node: process.version, freshml: VERSION, rows, longLife: life }, null, 1));
console.log(`\nwrote ${out}`);
