// One end-to-end run of freshml, the same in every consumer (Node ESM, Node CJS,
// headless Chromium): it takes the freshml namespace and zod's `z`, so each host
// passes the copy it loaded. Every float comes back as the hex of its bits, so
// results compare bit for bit.

/** Deterministic uniform numbers in [0, 1) (a 32-bit LCG), the same in every host. */
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const bits = (values) =>
  Array.from(values, (v) => {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, v);
    return b.getBigUint64(0).toString(16).padStart(16, "0");
  });

function rows(rand, n, shift) {
  return Array.from({ length: n }, (_, i) => {
    const temp = 20 + 8 * (rand() - 0.5);
    const hour = i % 24;
    const day = rand() < 0.3 ? "we" : "wk";
    return { temp, hour, day, load: 10 + 2 * temp + 0.5 * hour + (day === "we" ? -5 : 0) + shift + (rand() - 0.5) };
  });
}

/** Runs LinearRegression alone and a Pipeline with a MemoryModelStore; returns what must agree everywhere. */
export async function scenario(f, z) {
  const rand = lcg(12);
  // LinearRegression alone, on batches large enough for the WebAssembly kernels.
  const d = 6;
  const lr = new f.LinearRegression({ l2: 1e-3 });
  for (let b = 0; b < 4; b++) {
    const n = 400;
    const X = Float64Array.from({ length: n * d }, () => rand() * 4 - 2);
    const y = Float64Array.from({ length: n }, (_, i) => 1 + X[i * d] - 2 * X[i * d + 1] + 0.5 * X[i * d + 5] + 0.1 * (rand() - 0.5));
    lr.update({ X, cols: d, y });
  }
  const Xt = Float64Array.from({ length: 300 * d }, () => rand() * 4 - 2);
  const lrPredictions = bits(lr.predict({ X: Xt, cols: d }));

  // A Pipeline over row objects, a zod schema and the memory store.
  const Row = z.object({ temp: z.number(), hour: z.number().int().min(0).max(23), day: z.enum(["wk", "we"]), load: z.number() });
  const store = new f.MemoryModelStore();
  const pipeline = new f.Pipeline({
    schema: Row,
    features: ["temp", "hour", "day"],
    target: "load",
    trainer: new f.LinearRegression({ l2: 1e-3 }),
    store,
    gate: { metric: "rmse" },
  });
  const batches = Array.from({ length: 6 }, (_, b) => rows(rand, 200, b < 3 ? 0 : 3));
  const report = await pipeline.runBatches(batches);
  const champion = await store.get("model", "champion");
  const served = await f.loadModel(store, "model", "champion");
  const probe = rows(rand, 50, 0).map(({ load, ...r }) => r);
  return {
    lrPredictions,
    pipeline: {
      batches: report.batches,
      rows: report.rows,
      championVersion: report.championVersion,
      promotions: report.promotions.map((p) => ({ batch: p.batch, version: p.version })),
      fingerprint: champion.data.fingerprint,
      served: bits(served.predictRows(probe)),
    },
  };
}
