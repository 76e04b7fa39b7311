import type { Batch } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";
import { SeededRandom } from "../core/random.js";
import { nonFinitePath } from "../core/json-checks.js";
import { isClassifier, type Trainer } from "../learners/trainer.js";

/** One named check; `run` throws an Error describing the failure. */
export interface ConformanceCheck {
  /** What the check asserts, prefixed by the learner kind. */
  readonly name: string;
  /** Runs the check; throws an Error describing the failure. */
  run(): void;
}

/** Options of {@link learnerChecks}. */
export interface LearnerCheckOptions {
  /** Makes a fresh, unfitted learner (same parameters every call). */
  make: () => Trainer;
  /** Restores a learner from `toJSON()` output. Defaults to the class's static `fromJSON`. */
  restore?: (json: unknown) => Trainer;
  /**
   * The learner is exact: any split of the same rows into batches gives the
   * same model (to `tolerance`). Enables the batch-split and merge checks.
   */
  exact?: boolean;
  /** Features in the synthetic data. Default 3. */
  nFeatures?: number;
  /** Relative tolerance for "equal" predictions. Default 1e-8. */
  tolerance?: number;
  /** Seed of the synthetic data. Default 1. */
  seed?: number;
}

class CheckFailure extends Error {}

function fail(msg: string): never {
  throw new CheckFailure(msg);
}

/** Synthetic, seeded data: Gaussian features; a linear target, or labels from a linear score. */
function makeBatches(t: Trainer, d: number, sizes: number[], seed: number): Batch[] {
  const rng = new SeededRandom(seed);
  const w = Array.from({ length: d }, () => rng.nextGaussian());
  const classes = isClassifier(t) ? t.classes : null;
  return sizes.map((rows) => {
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < rows; i++) {
      const x = Array.from({ length: d }, () => rng.nextGaussian());
      const s = x.reduce((acc, v, j) => acc + v * w[j]!, 0);
      X.push(x);
      if (classes) {
        // Spread the score over the classes so every class occurs.
        const k = classes.length;
        const z = s + 0.5 * rng.nextGaussian();
        const bucket = Math.min(k - 1, Math.max(0, Math.floor((z / 2 + 0.5) * k)));
        y.push(classes[bucket]!);
      } else {
        y.push(2 * s + 1 + 0.1 * rng.nextGaussian());
      }
    }
    return { X, y };
  });
}

/** Joins batches into one. */
function concat(batches: Batch[]): Batch {
  const X: number[][] = [];
  const y: number[] = [];
  for (const b of batches) {
    X.push(...(b.X as number[][]));
    y.push(...Array.from(b.y));
  }
  return { X, y };
}

function outputs(t: Trainer, X: number[][]): Float64Array {
  return isClassifier(t) ? t.predictProba(X) : t.predict(X);
}

function sameBits(a: Float64Array, b: Float64Array, what: string): void {
  if (a.length !== b.length) fail(`${what}: ${a.length} vs ${b.length} outputs`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) fail(`${what}: output ${i} differs: ${a[i]} vs ${b[i]}`);
  }
}

function close(a: Float64Array, b: Float64Array, tol: number, what: string): void {
  if (a.length !== b.length) fail(`${what}: ${a.length} vs ${b.length} outputs`);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!);
    if (!(err <= tol * Math.max(1, scale))) fail(`${what}: output ${i} is ${a[i]}, expected ${b[i]} (relative tolerance ${tol})`);
  }
}


/** Runs `fn`; a FreshmlError is returned (an expected refusal), anything else is a failure. */
function refusalOf(fn: () => void, what: string): FreshmlError | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof FreshmlError) return err;
    return fail(`${what}: threw ${String(err)} instead of a FreshmlError`);
  }
}

/** Predictions are all finite, or predict throws a FreshmlError; never a non-finite output. */
function finiteOrRefused(t: Trainer, X: number[][], what: string): void {
  let out: Float64Array | null = null;
  const err = refusalOf(() => {
    out = outputs(t, X);
  }, what);
  if (err) return;
  const o = out as unknown as Float64Array;
  for (let i = 0; i < o.length; i++) {
    if (!Number.isFinite(o[i])) fail(`${what}: output ${i} is ${o[i]}; a prediction that overflows must throw a FreshmlError`);
  }
}

function json(t: Trainer): string {
  return JSON.stringify(t.toJSON());
}

function deepClone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function expectFreshmlError(fn: () => void, what: string, code?: string): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof FreshmlError && code !== undefined && err.code !== code) fail(`${what}: code ${err.code}, expected ${code}`);
    if (err instanceof FreshmlError) return;
    fail(`${what}: threw ${String(err)} instead of a FreshmlError`);
  }
  fail(`${what}: did not throw`);
}

/**
 * The checks every trainer must pass, as plain functions so any test runner
 * can run them (River's `check_estimator`, for freshml's Trainer contract):
 * clone and copy, JSON round trip with bit-identical predictions, determinism,
 * no mutation of inputs, an unchanged state after a rejected batch,
 * huge-but-finite and subnormal values (learned into a state of finite numbers
 * that restores, or refused with a `FreshmlError` and the state unchanged;
 * predictions finite or refused, never ±Infinity or NaN), sparse arrays
 * claiming 2³² − 1 rows (refused with a `FreshmlError` at once), and — for
 * exact learners and optional capabilities — batch-split invariance, `merge`
 * and `forget`.
 *
 * @example With vitest
 * ```ts
 * import { it } from "vitest";
 * import { LinearRegression } from "freshml";
 * import { learnerChecks } from "freshml/testing";
 * for (const check of learnerChecks({ make: () => new LinearRegression(), exact: true })) {
 *   it(check.name, () => check.run());
 * }
 * ```
 */
export function learnerChecks(options: LearnerCheckOptions): ConformanceCheck[] {
  const { make, exact = false, nFeatures = 3, tolerance = 1e-8, seed = 1 } = options;
  const probe = make();
  const restore =
    options.restore ??
    ((j: unknown): Trainer => {
      const ctor = probe.constructor as { fromJSON?: (j: unknown) => Trainer };
      if (typeof ctor.fromJSON !== "function") fail(`${probe.kind} has no static fromJSON; pass options.restore`);
      return ctor.fromJSON(j);
    });
  const data = (sizes: number[], s = seed): Batch[] => makeBatches(probe, nFeatures, sizes, s);
  const probeX = (): number[][] => data([7], seed + 99)[0]!.X as number[][];
  const trained = (sizes = [40, 25, 30]): Trainer => {
    const t = make();
    for (const b of data(sizes)) t.update(b);
    return t;
  };
  const kind = probe.kind;
  const checks: ConformanceCheck[] = [
    {
      name: `${kind}: predict before any update throws not_fitted`,
      run() {
        const t = make();
        try {
          t.predict(probeX());
        } catch (err) {
          if (err instanceof FreshmlError && err.code === "not_fitted") return;
          fail(`threw ${String(err)}`);
        }
        fail("predict on an unfitted learner did not throw");
      },
    },
    {
      name: `${kind}: clone keeps parameters and drops state, and is idempotent`,
      run() {
        const t = trained();
        const c = t.clone();
        if (c.nSeen !== 0) fail(`clone has nSeen ${c.nSeen}`);
        if (JSON.stringify(c.params) !== JSON.stringify(t.params)) fail("clone changed the parameters");
        if (c.toJSON().state !== null) fail("clone carries learned state");
        if (json(c.clone()) !== json(c)) fail("clone of a clone differs");
        if (json(c) !== json(make())) fail("clone differs from a freshly made learner");
      },
    },
    {
      name: `${kind}: copy is an independent deep copy`,
      run() {
        const t = trained();
        const before = json(t);
        const c = t.copy();
        sameBits(outputs(c, probeX()), outputs(t, probeX()), "copy predictions");
        c.update(data([20], seed + 5)[0]!);
        if (json(t) !== before) fail("updating a copy changed the original");
      },
    },
    {
      name: `${kind}: toJSON → JSON text → restore gives bit-identical predictions`,
      run() {
        const t = trained();
        const text = JSON.stringify(t.toJSON());
        const back = restore(JSON.parse(text));
        sameBits(outputs(back, probeX()), outputs(t, probeX()), "restored predictions");
        if (JSON.stringify(back.toJSON()) !== text) fail("toJSON of the restored learner differs");
        // Learning goes on identically after a restore.
        const more = data([15], seed + 7)[0]!;
        back.update(more);
        t.update(more);
        sameBits(outputs(back, probeX()), outputs(t, probeX()), "predictions after restore and update");
        const empty = restore(JSON.parse(JSON.stringify(make().toJSON())));
        if (empty.nSeen !== 0) fail("restoring an unfitted learner gave learned state");
      },
    },
    {
      name: `${kind}: same parameters and data give the same state`,
      run() {
        if (json(trained()) !== json(trained())) fail("two runs on the same data differ");
      },
    },
    {
      name: `${kind}: rows and Float64Array inputs give the same model`,
      run() {
        const a = make();
        const b = make();
        for (const batch of data([30, 20])) {
          a.update(batch);
          const rows = batch.X as number[][];
          b.update({ X: Float64Array.from(rows.flat()), cols: nFeatures, y: Float64Array.from(batch.y) });
        }
        if (json(a) !== json(b)) fail("the input layout changed the learned state");
      },
    },
    {
      name: `${kind}: update and predict never mutate their inputs`,
      run() {
        const t = trained();
        const batch = data([25], seed + 3)[0]!;
        const copy = deepClone(batch);
        t.update(batch);
        if (JSON.stringify(batch) !== JSON.stringify(copy)) fail("update mutated a rows batch");
        const flat = { X: Float64Array.from((copy.X as number[][]).flat()), cols: nFeatures, y: Float64Array.from(copy.y) };
        const flatX = flat.X.slice();
        const flatY = flat.y.slice();
        t.update(flat);
        sameBits(flat.X, flatX, "Float64Array features after update");
        sameBits(flat.y, flatY, "Float64Array targets after update");
        const X = probeX();
        const Xc = deepClone(X);
        t.predict(X);
        if (JSON.stringify(X) !== JSON.stringify(Xc)) fail("predict mutated its input");
      },
    },
    {
      name: `${kind}: a rejected batch throws FreshmlError and leaves the state unchanged`,
      run() {
        const t = trained();
        const before = json(t);
        const good = data([5], seed + 11)[0]!;
        const rows = good.X as number[][];
        const d = nFeatures;
        const bad: Array<[string, Batch]> = [
          ["NaN feature", { X: rows.map((r, i) => (i === 3 ? r.map((v, j) => (j === d - 1 ? NaN : v)) : r)), y: good.y }],
          ["Infinity target", { X: rows, y: Array.from(good.y, (v, i) => (i === 2 ? Infinity : v)) }],
          ["wrong column count", { X: rows.map((r) => [...r, 1]), y: good.y }],
          ["ragged rows", { X: rows.map((r, i) => (i === 1 ? r.slice(0, Math.max(0, d - 1)).concat(d === 1 ? [1, 2] : []) : r)), y: good.y }],
          ["empty batch", { X: [], y: [] }],
          ["non-numeric value", { X: rows.map((r, i) => (i === 4 ? ["7" as unknown as number, ...r.slice(1)] : r)), y: good.y }],
          ["target length mismatch", { X: rows, y: Array.from(good.y).slice(1) }],
          ["Float64Array without cols", { X: Float64Array.from(rows.flat()), y: good.y }],
          ["NaN in a Float64Array", { X: Float64Array.from(rows.flat(), (v, k) => (k === 2 * d + 1 || (d === 1 && k === 2) ? NaN : v)), cols: d, y: Float64Array.from(good.y) }],
          ["Infinity in a Float64Array", { X: Float64Array.from(rows.flat(), (v, k) => (k === rows.length * d - 1 ? -Infinity : v)), cols: d, y: Float64Array.from(good.y) }],
        ];
        if (isClassifier(t)) {
          const unseen = Math.max(...t.classes) + 1;
          bad.push(["label outside the classes", { X: rows, y: Array.from(good.y, (v, i) => (i === 4 ? unseen : v)) }]);
        }
        for (const [what, batch] of bad) {
          expectFreshmlError(() => t.update(batch), what, what.includes("NaN") || what.includes("Infinity") ? "non_finite" : undefined);
          if (json(t) !== before) fail(`${what}: the rejected batch changed the state`);
        }
      },
    },
    {
      name: `${kind}: huge-but-finite and subnormal values are learned to a finite state or refused with the state unchanged`,
      run() {
        const scales = [1e150, 1e300, -1e300, 1.7e308, 1e-310, 5e-324];
        for (const fresh of [true, false]) {
          for (const scale of scales) {
            for (const where of ["X", "y", "X and y", "one column"] as const) {
              const t = fresh ? make() : trained();
              const before = json(t);
              const good = data([12], seed + 13)[0]!;
              const regress = !isClassifier(t);
              const X = (good.X as number[][]).map((r) => r.map((v, j) => (where === "y" || (where === "one column" && j > 0) ? v : v * scale)));
              const y = Array.from(good.y, (v) => (regress && where !== "X" && where !== "one column" ? v * scale : v));
              const what = `${fresh ? "fresh" : "trained"} learner, ${where} × ${scale}`;
              const err = refusalOf(() => t.update({ X, y }), what);
              if (err) {
                if (json(t) !== before) fail(`${what}: refused with ${err.code} but the state changed`);
                if (fresh && t.nSeen !== 0) fail(`${what}: refused but nSeen is ${t.nSeen}`);
                continue;
              }
              const state = t.toJSON();
              const bad = nonFinitePath(state, "toJSON()");
              if (bad !== null) fail(`${what}: learned, but the state holds a non-finite number at ${bad}`);
              const back = restore(JSON.parse(JSON.stringify(state)));
              if (JSON.stringify(back.toJSON()) !== JSON.stringify(state)) fail(`${what}: the restored state differs`);
              finiteOrRefused(t, probeX(), `${what}, predicting ordinary rows`);
              finiteOrRefused(t, X, `${what}, predicting the huge rows`);
            }
          }
          // A trained learner predicting huge rows: finite, or refused.
          if (!fresh) {
            const t = trained();
            for (const scale of scales) finiteOrRefused(t, probeX().map((r) => r.map((v) => v * scale)), `predicting rows × ${scale}`);
          }
        }
      },
    },
    {
      name: `${kind}: sparse arrays claiming 2^32 − 1 rows are refused with a FreshmlError at once`,
      run() {
        const t = trained();
        const before = json(t);
        const good = data([3], seed + 17)[0]!;
        const sparseX: number[][] = [];
        sparseX.length = 2 ** 32 - 1;
        sparseX[0] = (good.X as number[][])[0]!;
        const sparseY: number[] = [];
        sparseY.length = 2 ** 32 - 1;
        const holeX = [(good.X as number[][])[0]!, (good.X as number[][])[1]!];
        delete (holeX as unknown as Record<number, unknown>)[1];
        const holeY = Array.from(good.y);
        delete (holeY as unknown as Record<number, unknown>)[1];
        const cases: Array<[string, Batch]> = [
          ["X claiming 2^32 − 1 rows", { X: sparseX, y: sparseY }],
          ["X claiming 2^32 − 1 rows, y short", { X: sparseX, y: good.y }],
          ["a hole in X", { X: holeX, y: Array.from(good.y).slice(0, 2) }],
          ["a hole in y", { X: good.X, y: holeY }],
          ["a row claiming 2^32 − 1 columns", { X: [Object.assign([] as number[], { length: 2 ** 32 - 1 })], y: [1] }],
        ];
        for (const [what, batch] of cases) {
          const started = Date.now();
          expectFreshmlError(() => t.update(batch), `update, ${what}`);
          if (json(t) !== before) fail(`update, ${what}: the state changed`);
          if (what !== "a hole in y") expectFreshmlError(() => t.predict(batch.X as number[][]), `predict, ${what}`);
          if (Date.now() - started > 2000) fail(`${what}: took ${Date.now() - started} ms to refuse`);
        }
      },
    },
  ];
  if (exact) {
    checks.push({
      name: `${kind}: any split of the rows into batches gives the same model`,
      run() {
        const batches = data([13, 50, 1, 36]);
        const whole = make();
        whole.update(concat(batches));
        const split = make();
        for (const b of batches) split.update(b);
        close(outputs(split, probeX()), outputs(whole, probeX()), tolerance, "split vs whole");
      },
    });
  }
  if (typeof probe.merge === "function") {
    checks.push({
      name: `${kind}: merge(b) equals learning a's data then b's`,
      run() {
        const [d1, d2] = data([40, 35]);
        const a = make();
        a.update(d1!);
        const b = make();
        b.update(d2!);
        a.merge!(b);
        const seq = make();
        seq.update(d1!);
        seq.update(d2!);
        close(outputs(a, probeX()), outputs(seq, probeX()), tolerance, "merged vs sequential");
        const fresh = make();
        fresh.merge!(seq);
        close(outputs(fresh, probeX()), outputs(seq, probeX()), tolerance, "merge into an empty learner");
      },
    });
  }
  if (typeof probe.forget === "function") {
    checks.push({
      name: `${kind}: forget(batch) undoes update(batch)`,
      run() {
        const [d1, d2, d3] = data([40, 30, 35]);
        const t = make();
        t.update(d1!);
        t.update(d2!);
        t.update(d3!);
        t.forget!(d1!);
        const ref = make();
        ref.update(d2!);
        ref.update(d3!);
        close(outputs(t, probeX()), outputs(ref, probeX()), tolerance * 100, "after forget");
        if (t.nSeen !== ref.nSeen) fail(`nSeen ${t.nSeen} after forget, expected ${ref.nSeen}`);
      },
    });
  }
  return checks;
}

/**
 * Runs {@link learnerChecks} and throws one Error listing every failure.
 *
 * @example
 * ```ts
 * import { MeanRegressor } from "freshml";
 * import { assertLearnerConformance } from "freshml/testing";
 * assertLearnerConformance({ make: () => new MeanRegressor(), exact: true });
 * ```
 */
export function assertLearnerConformance(options: LearnerCheckOptions): void {
  const failures: string[] = [];
  for (const check of learnerChecks(options)) {
    try {
      check.run();
    } catch (err) {
      failures.push(`${check.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (failures.length > 0) throw new Error(`conformance failed:\n- ${failures.join("\n- ")}`);
}
