import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FreshmlError, HoeffdingTreeClassifier, HoeffdingTreeRegressor, SeededRandom, restoreTrainer, type Trainer } from "../../src/index.js";
import { learnerChecks, type LearnerCheckOptions } from "../../src/testing/index.js";
import { agrawal, friedman1, sea, slice, type Stream } from "./hoeffding-tree-streams.js";

// scikit-learn's DecisionTree figures on the same streams: test/fixtures/generate_tree.py.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fx: any = JSON.parse(readFileSync(fileURLToPath(new URL("../fixtures/tree.json", import.meta.url)), "utf8"));
const CHECKPOINTS: number[] = fx.checkpoints;

function accuracy(t: HoeffdingTreeClassifier, s: Stream): number {
  const p = t.predict({ X: s.X, cols: s.cols });
  let ok = 0;
  for (let i = 0; i < s.rows; i++) if (p[i] === s.y[i]) ok++;
  return ok / s.rows;
}

function rmse(t: HoeffdingTreeRegressor, s: Stream): number {
  const p = t.predict({ X: s.X, cols: s.cols });
  let se = 0;
  for (let i = 0; i < s.rows; i++) se += (p[i]! - s.y[i]!) ** 2;
  return Math.sqrt(se / s.rows);
}

/** Learns the stream in 1,000-row batches and scores the held-out rows at every checkpoint. */
function learnCurve<T extends Trainer>(t: T, train: Stream, score: (t: T) => number): number[] {
  const out: number[] = [];
  let at = 0;
  for (const cp of CHECKPOINTS) {
    for (; at < cp; at += 1000) t.update(slice(train, at, Math.min(cp, at + 1000)));
    out.push(score(t));
  }
  return out;
}

describe("HoeffdingTreeClassifier against scikit-learn's DecisionTreeClassifier on all rows so far", () => {
  // The stated gaps: held-out accuracy after 50,000 rows is at most `gap` below scikit-learn's
  // fully grown tree fitted on those 50,000 rows, and the gap is narrower than after 1,000 rows.
  // Measured (nba leaves, defaults): SEA 0.891 vs 0.811 (the tree wins: sklearn's overfits the 10 % noise);
  // Agrawal 1 0.9986 vs 1.0; 2 0.939 vs 0.9999; 3 0.9995 vs 1.0; 6 0.899 vs 0.993; 7 0.980 vs 0.989;
  // 4 0.922 vs 0.9996; 5 0.854 vs 0.997; 8 0.9965 vs 0.9984; 9 0.970 vs 0.972; 10 0.9990 vs 0.9995.
  // Functions 8 and 10 are nearly one class with these attribute distributions (98.0 % and 99.8 % group A),
  // so there the tree need only beat the majority class by 0.01 and by anything.
  const cases: Array<[string, (seed: number, n: number) => Stream, number, number?]> = [
    ["sea", (s, n) => sea(s, n), 0],
    ["agrawal1", (s, n) => agrawal(s, n, 1), 0.005],
    ["agrawal2", (s, n) => agrawal(s, n, 2), 0.08],
    ["agrawal3", (s, n) => agrawal(s, n, 3), 0.005],
    ["agrawal4", (s, n) => agrawal(s, n, 4), 0.09],
    ["agrawal5", (s, n) => agrawal(s, n, 5), 0.16],
    ["agrawal6", (s, n) => agrawal(s, n, 6), 0.12],
    ["agrawal7", (s, n) => agrawal(s, n, 7), 0.02],
    ["agrawal8", (s, n) => agrawal(s, n, 8), 0.005, 0.01],
    ["agrawal9", (s, n) => agrawal(s, n, 9), 0.005],
    ["agrawal10", (s, n) => agrawal(s, n, 10), 0.002, 0],
  ];
  for (const [name, gen, gap, overMajority = 0.05] of cases) {
    it(`${name}: gap after 50,000 rows ≤ ${gap}`, () => {
      const train = gen(fx.seed, CHECKPOINTS[CHECKPOINTS.length - 1]!);
      const test = gen(fx.testSeed, fx.nTest);
      // The TypeScript generator draws the rows the fixture script drew (and the same 10,000 test labels).
      expect(Array.from(train.X.subarray(0, train.cols))).toEqual(fx.streams[name].firstRow);
      expect(Array.from(train.y.subarray(0, 20))).toEqual(fx.streams[name].firstLabels);
      expect(test.y.reduce((a, v) => a + v, 0) / test.rows).toBe(fx.streams[name].testPositiveRate);
      const ours = learnCurve(new HoeffdingTreeClassifier({ classes: [0, 1] }), train, (t) => accuracy(t, test));
      const theirs: number[] = fx.streams[name].sklearnAccuracy;
      const last = CHECKPOINTS.length - 1;
      expect(ours[last]!).toBeGreaterThanOrEqual(theirs[last]! - gap);
      // The gap narrows (where the tree was behind after 1,000 rows).
      if (theirs[0]! > ours[0]!) expect(theirs[last]! - ours[last]!).toBeLessThanOrEqual(theirs[0]! - ours[0]! + 1e-9);
      // Better than the majority class by a margin.
      const prior = fx.streams[name].testPositiveRate as number;
      expect(ours[last]!).toBeGreaterThan(Math.max(prior, 1 - prior) + overMajority);
    });
  }

  it("multiclass: three classes by the sum of two features, the third feature noise", () => {
    const r = new SeededRandom(5);
    const make = (n: number): Stream => {
      const X = new Float64Array(n * 3);
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < 3; j++) X[i * 3 + j] = r.next();
        const s = X[i * 3]! + X[i * 3 + 1]!;
        y[i] = s < 0.7 ? 7 : s < 1.3 ? 8 : 9;
      }
      return { X, y, cols: 3, rows: n };
    };
    const t = new HoeffdingTreeClassifier({ classes: [7, 8, 9] });
    const train = make(30000);
    for (let at = 0; at < train.rows; at += 1000) t.update(slice(train, at, at + 1000));
    const test = make(5000);
    expect(accuracy(t, test)).toBeGreaterThan(0.85);
    const p = t.predictProba({ X: test.X, cols: 3 });
    for (let i = 0; i < test.rows; i++) {
      const row = p.subarray(i * 3, i * 3 + 3);
      expect(row[0]! + row[1]! + row[2]!).toBeCloseTo(1, 12);
      for (const v of row) expect(v).toBeGreaterThan(0); // smoothing keeps log loss finite
    }
  });
});

describe("HoeffdingTreeRegressor against scikit-learn's DecisionTreeRegressor on Friedman #1", () => {
  it("held-out RMSE after 50,000 rows within 25 % of scikit-learn's, and improving", () => {
    // Measured: 2.30 vs scikit-learn's 1.92 (R² 0.785 vs 0.850); after 1,000 rows 4.11 vs 3.02.
    const train = friedman1(fx.seed, CHECKPOINTS[CHECKPOINTS.length - 1]!);
    const test = friedman1(fx.testSeed, fx.nTest);
    for (let i = 0; i < 5; i++) expect(train.y[i]!).toBeCloseTo(fx.streams.friedman1.firstTargets[i], 10);
    const ours = learnCurve(new HoeffdingTreeRegressor(), train, (t) => rmse(t, test));
    const theirs: number[] = fx.streams.friedman1.sklearnRmse;
    const last = CHECKPOINTS.length - 1;
    expect(ours[last]!).toBeLessThanOrEqual(theirs[last]! * 1.25);
    expect(ours[last]!).toBeLessThan(ours[0]!);
    // Far better than predicting the mean (Friedman #1's target sd is about 5).
    let m = 0;
    for (const v of test.y) m += v / test.rows;
    let sd = 0;
    for (const v of test.y) sd += (v - m) ** 2 / test.rows;
    expect(ours[last]!).toBeLessThan(0.5 * Math.sqrt(sd));
  });
});

describe("Hoeffding trees: bounded memory", () => {
  // The 1 M-row figures are in the benchmark (npm run bench:learners -- --only hoeffding); here 200,000 rows
  // with a small leaf cap show the bound is reached and then holds.
  it("classifier: leaves and statistics stop growing at maxLeaves", () => {
    const t = new HoeffdingTreeClassifier({ classes: [0, 1], maxLeaves: 8 });
    const s = agrawal(3, 200000, 2);
    const sizes = [];
    for (let at = 0; at < s.rows; at += 10000) {
      t.update(slice(s, at, at + 10000));
      sizes.push(t.size());
    }
    const perLeaf = 2 * 2 + 4 * 2 * 9 + 3; // prior, obs, mean/m2/min/max per class × feature, 3 counters
    for (const z of sizes) {
      expect(z.leaves).toBeLessThanOrEqual(8);
      expect(z.statistics).toBeLessThanOrEqual(8 * perLeaf);
    }
    expect(sizes[sizes.length - 1]!.leaves).toBe(8);
    expect(sizes[sizes.length - 1]!.nodes).toBe(15);
  });

  it("regressor: histograms are dropped once the tree is full, so memory shrinks to the leaf means", () => {
    const t = new HoeffdingTreeRegressor({ maxLeaves: 16 });
    const s = friedman1(4, 200000);
    const bound = 16 * (7 + 10 * (1 + 4 * (2 * 32 - 1))); // at most 2·bins − 1 bins per feature
    let full = -1;
    for (let at = 0; at < s.rows; at += 10000) {
      t.update(slice(s, at, at + 10000));
      const z = t.size();
      expect(z.leaves).toBeLessThanOrEqual(16);
      expect(z.statistics).toBeLessThanOrEqual(bound);
      if (z.leaves === 16 && full < 0) full = at;
    }
    expect(full).toBeGreaterThanOrEqual(0);
    expect(t.size().statistics).toBe(16 * 7);
  });

  it("regressor: maxSize (MiB) bounds the estimated memory; without it the same stream exceeds it", () => {
    // d = 20: a growing leaf's histograms take 20 · 64 · 4 · 8 + 80 bytes ≈ 40 KiB, so 0.5 MiB holds about 12.
    const budget = 0.5;
    const s = friedman1(9, 30000);
    const wide = { X: new Float64Array(s.rows * 20), cols: 20, y: s.y };
    for (let i = 0; i < s.rows; i++) for (let j = 0; j < 20; j++) wide.X[i * 20 + j] = s.X[i * 10 + (j % 10)]! + (j >= 10 ? 0.5 : 0);
    const bounded = new HoeffdingTreeRegressor({ gracePeriod: 50, tieThreshold: 0.5, maxSize: budget });
    const unbounded = new HoeffdingTreeRegressor({ gracePeriod: 50, tieThreshold: 0.5, maxSize: null });
    let peakBounded = 0;
    let peakUnbounded = 0;
    for (let at = 0; at < s.rows; at += 2000) {
      const b = { X: wide.X.subarray(at * 20, (at + 2000) * 20), cols: 20, y: wide.y.subarray(at, at + 2000) };
      bounded.update(b);
      unbounded.update(b);
      peakBounded = Math.max(peakBounded, bounded.memoryBytes());
      peakUnbounded = Math.max(peakUnbounded, unbounded.memoryBytes());
    }
    expect(peakBounded).toBeLessThanOrEqual(budget * 1048576);
    expect(peakUnbounded).toBeGreaterThan(2 * budget * 1048576);
    // Still a tree that learns: measured RMSE 2.65 with 102 leaves (about 12 growing at a time, peak 0.50 MiB),
    // against 2.10 unbounded (444 leaves, 17.5 MiB at its peak) and 4.99 for the mean.
    expect(bounded.size().leaves).toBeGreaterThan(8);
    const test = friedman1(10, 5000);
    const wideTest = new Float64Array(test.rows * 20);
    for (let i = 0; i < test.rows; i++) for (let j = 0; j < 20; j++) wideTest[i * 20 + j] = test.X[i * 10 + (j % 10)]! + (j >= 10 ? 0.5 : 0);
    const err = (t: HoeffdingTreeRegressor): number => {
      const p = t.predict({ X: wideTest, cols: 20 });
      let se = 0;
      for (let i = 0; i < test.rows; i++) se += (p[i]! - test.y[i]!) ** 2;
      return Math.sqrt(se / test.rows);
    };
    const mean = s.y.reduce((a, v) => a + v, 0) / s.rows;
    const meanErr = Math.sqrt(test.y.reduce((a, v) => a + (v - mean) ** 2, 0) / test.rows);
    expect(err(bounded)).toBeLessThan(1.5 * err(unbounded));
    expect(err(bounded)).toBeLessThan(0.6 * meanErr);
    // The budget is a parameter: it round-trips, and a restored tree keeps to it.
    const restored = HoeffdingTreeRegressor.fromJSON(JSON.parse(JSON.stringify(bounded.toJSON())));
    expect(restored.params.maxSize).toBe(budget);
    expect(restored.memoryBytes()).toBe(bounded.memoryBytes());
  });

  it("maxDepth caps the depth", () => {
    const t = new HoeffdingTreeRegressor({ maxDepth: 2 });
    const s = friedman1(4, 60000);
    for (let at = 0; at < s.rows; at += 10000) t.update(slice(s, at, at + 10000));
    expect(t.size().depth).toBe(2);
    expect(t.size().leaves).toBe(4);
  });
});

describe("Hoeffding trees: determinism and serialisation", () => {
  it("same seed, same tree; another seed, another tree", () => {
    const grow = (seed: number): string => {
      const t = new HoeffdingTreeClassifier({ classes: [0, 1] });
      const s = agrawal(seed, 20000, 2);
      for (let at = 0; at < s.rows; at += 1000) t.update(slice(s, at, at + 1000));
      return JSON.stringify(t.toJSON());
    };
    expect(grow(11)).toBe(grow(11));
    expect(grow(11)).not.toBe(grow(12));
    const growR = (seed: number): string => {
      const t = new HoeffdingTreeRegressor();
      const s = friedman1(seed, 20000);
      for (let at = 0; at < s.rows; at += 1000) t.update(slice(s, at, at + 1000));
      return JSON.stringify(t.toJSON());
    };
    expect(growR(11)).toBe(growR(11));
    expect(growR(11)).not.toBe(growR(12));
  });

  it("a grown tree restores through restoreTrainer with identical predictions", () => {
    const t = new HoeffdingTreeClassifier({ classes: [0, 1] });
    const s = agrawal(1, 20000, 3);
    t.update(slice(s, 0, 20000));
    expect(t.size().leaves).toBeGreaterThan(3);
    const back = restoreTrainer(JSON.parse(JSON.stringify(t))) as HoeffdingTreeClassifier;
    expect(back.predictProba({ X: s.X, cols: 9 })).toEqual(t.predictProba({ X: s.X, cols: 9 }));
    const r = new HoeffdingTreeRegressor();
    const f = friedman1(1, 20000);
    r.update(slice(f, 0, 20000));
    const rb = restoreTrainer(JSON.parse(JSON.stringify(r)));
    expect(rb.predict({ X: f.X, cols: 10 })).toEqual(r.predict({ X: f.X, cols: 10 }));
  });
});

/** A grown tree's JSON, to tamper with. */
function grownJSON(kind: "c" | "r"): { json: any; restore: (j: unknown) => Trainer } {
  if (kind === "c") {
    const t = new HoeffdingTreeClassifier({ classes: [0, 1], gracePeriod: 50 });
    t.update(slice(agrawal(2, 3000, 1), 0, 3000));
    return { json: JSON.parse(JSON.stringify(t)), restore: HoeffdingTreeClassifier.fromJSON };
  }
  const t = new HoeffdingTreeRegressor({ gracePeriod: 50 });
  t.update(slice(friedman1(2, 3000), 0, 3000));
  return { json: JSON.parse(JSON.stringify(t)), restore: HoeffdingTreeRegressor.fromJSON };
}

function expectInvalid(restore: (j: unknown) => Trainer, json: unknown): void {
  try {
    restore(json);
  } catch (err) {
    expect(err).toBeInstanceOf(FreshmlError);
    expect((err as FreshmlError).code).toBe("invalid_state");
    return;
  }
  throw new Error("restore accepted a broken state");
}

describe("Hoeffding trees: restore checks every invariant (invalid_state)", () => {
  const firstLeaf = (j: any): any => j.state.nodes.find((n: any) => n.leaf).leaf;
  const firstSplit = (j: any): any => j.state.nodes.find((n: any) => n.split).split;
  const classifierTampers: Array<[string, (j: any) => void]> = [
    ["a negative class count", (j) => (firstLeaf(j).obs[0] = -1)],
    ["a negative inherited count", (j) => (firstLeaf(j).prior[1] = -3)],
    ["a negative sum of squares", (j) => (firstLeaf(j).m2[2] = -0.5)],
    ["min above max", (j) => (firstLeaf(j).min[0] = firstLeaf(j).max[0] + 1)],
    ["a wrong-length mean", (j) => firstLeaf(j).mean.pop()],
    ["a child before its parent", (j) => (firstSplit(j).l = 0)],
    ["a child out of range", (j) => (firstSplit(j).r = 10_000)],
    ["a feature out of range", (j) => (firstSplit(j).f = 9)],
    ["a node both split and leaf", (j) => (j.state.nodes[0].leaf = firstLeaf(j))],
    ["a row count that disagrees with the leaves", (j) => (j.state.n += 1)],
    ["more right predictions than rows", (j) => (firstLeaf(j).mc = 1e9)],
    ["a split attempt after more rows than seen", (j) => (firstLeaf(j).last = 1e9)],
    ["an unknown leaf prediction", (j) => (j.params.leafPrediction = "oracle")],
    ["a non-finite threshold", (j) => (firstSplit(j).t = null)],
  ];
  for (const [what, tamper] of classifierTampers) {
    it(`classifier: ${what}`, () => {
      const { json, restore } = grownJSON("c");
      expect(() => restore(json)).not.toThrow();
      tamper(json);
      expectInvalid(restore, json);
    });
  }
  const regressorTampers: Array<[string, (j: any) => void]> = [
    ["a negative row count", (j) => (firstLeaf(j).obs[0] = -1)],
    ["a negative target sum of squares", (j) => (firstLeaf(j).prior[2] = -1)],
    ["a bin with a zero count", (j) => (firstLeaf(j).hist.cnt[0] = 0)],
    ["unsorted bins", (j) => (firstLeaf(j).hist.x[1] = firstLeaf(j).hist.x[0] - 1)],
    ["bins that disagree with the leaf's rows", (j) => (firstLeaf(j).hist.cnt[0] += 1)],
    ["too many bins", (j) => (j.params.bins = 2)],
    ["a cycle through the root", (j) => (firstSplit(j).l = 0)],
  ];
  for (const [what, tamper] of regressorTampers) {
    it(`regressor: ${what}`, () => {
      const { json, restore } = grownJSON("r");
      expect(() => restore(json)).not.toThrow();
      tamper(json);
      expectInvalid(restore, json);
    });
  }
});

describe("Hoeffding trees: atomic updates and huge inputs", () => {
  it("a batch refused at its last row leaves the tree exactly as it was", () => {
    for (const t of [new HoeffdingTreeClassifier({ classes: [0, 1], gracePeriod: 20 }), new HoeffdingTreeRegressor({ gracePeriod: 20 })]) {
      const s = agrawal(6, 2000, 1);
      t.update(slice(s, 0, 1000));
      const before = JSON.stringify(t.toJSON());
      const X = s.X.slice(1000 * 9, 2000 * 9);
      X[X.length - 1] = 1e200; // finite, but its square overflows
      expect(() => t.update({ X, cols: 9, y: s.y.slice(1000, 2000) })).toThrow(FreshmlError);
      expect(JSON.stringify(t.toJSON())).toBe(before);
      if (t instanceof HoeffdingTreeClassifier) {
        const y = s.y.slice(1000, 2000);
        y[999] = 5; // not a declared class
        expect(() => t.update({ X: s.X.slice(1000 * 9, 2000 * 9), cols: 9, y })).toThrow(FreshmlError);
        expect(JSON.stringify(t.toJSON())).toBe(before);
      } else {
        const y = s.y.slice(1000, 2000);
        y[999] = -1e150;
        expect(() => t.update({ X: s.X.slice(1000 * 9, 2000 * 9), cols: 9, y })).toThrow(FreshmlError);
        expect(JSON.stringify(t.toJSON())).toBe(before);
      }
    }
  });

  it("huge but accepted magnitudes (1e90) keep every statistic and prediction finite", () => {
    const r = new SeededRandom(9);
    const n = 3000;
    const X = new Float64Array(n * 2);
    const yc = new Float64Array(n);
    const yr = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      X[i * 2] = (r.next() - 0.5) * 1e90;
      X[i * 2 + 1] = r.next() < 0.01 ? -1e90 : r.next();
      yc[i] = X[i * 2]! > 0 ? 1 : 0;
      yr[i] = X[i * 2]! > 0 ? 1e90 : -1e90;
    }
    const c = new HoeffdingTreeClassifier({ classes: [0, 1], gracePeriod: 50 });
    c.update({ X, cols: 2, y: yc });
    const g = new HoeffdingTreeRegressor({ gracePeriod: 50 });
    g.update({ X, cols: 2, y: yr });
    const p = c.predictProba({ X, cols: 2 });
    expect(p.every(Number.isFinite)).toBe(true);
    expect(g.predict({ X, cols: 2 }).every(Number.isFinite)).toBe(true);
    // Restore refuses any non-finite number (JSON writes them as null), so a clean round trip shows none.
    expect(() => HoeffdingTreeClassifier.fromJSON(JSON.parse(JSON.stringify(c)))).not.toThrow();
    expect(() => HoeffdingTreeRegressor.fromJSON(JSON.parse(JSON.stringify(g)))).not.toThrow();
    expect(c.size().leaves).toBeGreaterThan(1);
    expect(g.size().leaves).toBeGreaterThan(1);
    // The trees found the sign of x0.
    expect(c.predict([[-1e89, 0.5], [1e89, 0.5]])).toEqual(new Float64Array([0, 1]));
    const pr = g.predict([[-1e89, 0.5], [1e89, 0.5]]);
    expect(pr[0]!).toBeLessThan(0);
    expect(pr[1]!).toBeGreaterThan(0);
  });
});

describe("Hoeffding trees: merge", () => {
  it("unsplit shards merge exactly, then grow as one", () => {
    const s = agrawal(8, 300, 1);
    const a = new HoeffdingTreeClassifier({ classes: [0, 1] });
    const b = a.clone();
    a.update(slice(s, 0, 150));
    b.update(slice(s, 150, 300));
    a.merge(b);
    const seq = new HoeffdingTreeClassifier({ classes: [0, 1] });
    seq.update(slice(s, 0, 300));
    expect(a.nSeen).toBe(300);
    const pa = a.predictProba({ X: s.X, cols: 9 });
    const ps = seq.predictProba({ X: s.X, cols: 9 });
    for (let i = 0; i < pa.length; i++) expect(pa[i]!).toBeCloseTo(ps[i]!, 9);
  });

  it("trees with different splits refuse to merge (incompatible_merge) and stay unchanged", () => {
    for (const [a, b] of [
      [new HoeffdingTreeClassifier({ classes: [0, 1], gracePeriod: 50 }), new HoeffdingTreeClassifier({ classes: [0, 1], gracePeriod: 50 })],
      [new HoeffdingTreeRegressor({ gracePeriod: 50 }), new HoeffdingTreeRegressor({ gracePeriod: 50 })],
    ] as Array<[Trainer, Trainer]>) {
      const s = agrawal(8, 4000, 1);
      a.update(slice(s, 0, 3000));
      b.update(slice(s, 3000, 3100));
      const before = JSON.stringify(a.toJSON());
      expect(() => a.merge!(b)).toThrow(expect.objectContaining({ code: "incompatible_merge" }));
      expect(JSON.stringify(a.toJSON())).toBe(before);
    }
  });

  it("forget is not offered", () => {
    expect((new HoeffdingTreeClassifier({ classes: [0, 1] }) as Trainer).forget).toBeUndefined();
    expect((new HoeffdingTreeRegressor() as Trainer).forget).toBeUndefined();
  });
});

describe("Hoeffding trees: parameters", () => {
  it("bad parameters are invalid_params", () => {
    const bad: Array<() => unknown> = [
      () => new HoeffdingTreeClassifier({ classes: [0, 1], gracePeriod: 0 }),
      () => new HoeffdingTreeClassifier({ classes: [0, 1], splitConfidence: 1 }),
      () => new HoeffdingTreeClassifier({ classes: [0, 1], tieThreshold: -1 }),
      () => new HoeffdingTreeClassifier({ classes: [0, 1], maxDepth: 1.5 }),
      () => new HoeffdingTreeClassifier({ classes: [0, 1], maxLeaves: 0 }),
      () => new HoeffdingTreeClassifier({ classes: [0, 1], leafPrediction: "x" as "nb" }),
      () => new HoeffdingTreeClassifier({ classes: [0, 0] }),
      () => new HoeffdingTreeRegressor({ bins: 1 }),
      () => new HoeffdingTreeRegressor({ minSamplesSplit: 0 }),
      () => new HoeffdingTreeRegressor({ maxSize: 0 }),
      () => new HoeffdingTreeRegressor({ maxSize: Number.NaN }),
    ];
    for (const f of bad) expect(f).toThrow(expect.objectContaining({ code: "invalid_params" }));
  });

  it("defaults are River's", () => {
    const c = new HoeffdingTreeClassifier({ classes: [0, 1] }).params;
    expect([c.gracePeriod, c.splitConfidence, c.tieThreshold, c.leafPrediction, c.nSplits, c.maxDepth]).toEqual([200, 1e-7, 0.05, "nba", 10, null]);
    const r = new HoeffdingTreeRegressor().params;
    expect([r.gracePeriod, r.splitConfidence, r.tieThreshold, r.minSamplesSplit, r.maxSize]).toEqual([200, 1e-7, 0.05, 5, 100]);
  });
});

// The conformance suite on trees forced to split on its small data (τ = 1 takes any useful split at every
// attempt), so copy, restore, determinism and rejected batches are checked on grown trees. Their merge
// check does not apply (shards grow different splits; see the merge tests above); the unsplit configurations
// in test/learners/conformance.test.ts run it.
const grown: Array<[string, LearnerCheckOptions, () => Trainer]> = [
  ["classifier nba", { make: () => new HoeffdingTreeClassifier({ classes: [0, 1, 2], gracePeriod: 10, tieThreshold: 1 }) },
    () => new HoeffdingTreeClassifier({ classes: [0, 1, 2], gracePeriod: 10, tieThreshold: 1 })],
  ["classifier nb", { make: () => new HoeffdingTreeClassifier({ classes: [0, 1], gracePeriod: 10, tieThreshold: 1, leafPrediction: "nb" }) },
    () => new HoeffdingTreeClassifier({ classes: [0, 1], gracePeriod: 10, tieThreshold: 1, leafPrediction: "nb" })],
  ["regressor", { make: () => new HoeffdingTreeRegressor({ gracePeriod: 10, tieThreshold: 1, bins: 6 }) },
    () => new HoeffdingTreeRegressor({ gracePeriod: 10, tieThreshold: 1, bins: 6 })],
];
for (const [name, options, make] of grown) {
  describe(`conformance on a grown tree: ${name}`, () => {
    it("the configuration does split on the suite's data size", () => {
      const t = make();
      const r = new SeededRandom(1);
      const X = Array.from({ length: 95 }, () => [r.nextGaussian(), r.nextGaussian(), r.nextGaussian()]);
      const y = X.map((x) => (t.task === "classification" ? (x[0]! > 0 ? 1 : 0) : 2 * x[0]! + x[1]!));
      t.update({ X, y });
      expect((t as HoeffdingTreeClassifier | HoeffdingTreeRegressor).size().leaves).toBeGreaterThan(1);
    });
    for (const check of learnerChecks(options)) {
      if (check.name.includes("merge")) continue;
      it(check.name, () => check.run());
    }
  });
}
