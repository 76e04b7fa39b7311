import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  GaussianNB,
  LinearRegression,
  LogisticRegression,
  MajorityClassifier,
  OnlineStandardScaler,
  RecursiveLeastSquares,
  SGDClassifier,
  SGDRegressor,
  restoreTrainer,
  type Trainer,
} from "../../src/index.js";
import { relErr } from "../fixtures/load.js";

// Written by test/fixtures/generate_learner_numerics.py (scikit-learn).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fx: any = JSON.parse(readFileSync(fileURLToPath(new URL("../fixtures/learner-numerics.json", import.meta.url)), "utf8"));

type Json = { state: Record<string, unknown> & Record<string, number[] | number> };
function saved(t: Trainer): Json {
  return JSON.parse(JSON.stringify(t.toJSON())) as Json;
}
function expectInvalid(json: unknown, field: string): void {
  expect(() => restoreTrainer(json)).toThrowError(expect.objectContaining({ code: "invalid_state", details: expect.objectContaining({ field }) }));
}
const X = [[0, 1], [1, 0], [2, 2], [3, 1], [4, 5], [5, 3]];
const yReg = [1, 2, 4, 5, 9, 8];
const yCls = [0, 1, 0, 1, 1, 0];

describe("restore checks each state's invariants, naming the field (issue 10, item 15)", () => {
  it("GaussianNB: a negative or fractional class count, a negative m2, statistics for an empty class", () => {
    const nb = new GaussianNB({ classes: [0, 1, 2] });
    nb.update({ X, y: yCls });
    const a = saved(nb);
    (a.state.counts as number[])[0] = -3;
    expectInvalid(a, "counts[0]");
    const b = saved(nb);
    (b.state.counts as number[])[1] = 2.5;
    expectInvalid(b, "counts[1]");
    const c = saved(nb);
    (c.state.m2 as number[])[1] = -1;
    expectInvalid(c, "m2[1]");
    const d = saved(nb);
    (d.state.mean as number[])[4] = 7; // class index 2 has no rows
    expectInvalid(d, "mean[4]");
    expect(restoreTrainer(saved(nb)).predict([[1, 1]])).toEqual(nb.predict([[1, 1]]));
  });

  it("LinearRegression: negative sums of squares, cross products far beyond the raw moments, stats with n = 0", () => {
    const m = new LinearRegression();
    m.update({ X, y: yReg });
    const a = saved(m);
    a.state.syy = -1;
    expectInvalid(a, "syy");
    const b = saved(m);
    (b.state.sxx as number[])[0] = -2;
    expectInvalid(b, "sxx[0,0]");
    const c = saved(m);
    (c.state.sxx as number[])[1] = 1e9; // the (0, 1) entry, packed upper triangle
    expectInvalid(c, "sxx[0,1]");
    const d = saved(m);
    (d.state.sxy as number[])[1] = 1e12;
    expectInvalid(d, "sxy[1]");
    const e = saved(m);
    e.state.n = 0;
    expectInvalid(e, "n");
  });

  it("SGD: a scaler that has not seen the rows learned, negative adagrad sums, a sample counter below 1, non-finite weights", () => {
    const s = new SGDRegressor({ standardize: true, seed: 1 });
    s.update({ X, y: yReg });
    const a = saved(s);
    (a.state.scaler as unknown as { n: number }).n = 2;
    expectInvalid(a, "scaler.n");
    const b = saved(s);
    (b.state.scaler as unknown as { m2: number[] }).m2[0] = -4;
    expectInvalid(b, "m2[0]");
    const g = new SGDRegressor({ learningRate: "adagrad", seed: 1 });
    g.update({ X, y: yReg });
    const c = saved(g);
    (c.state.G as number[])[0] = -1;
    expectInvalid(c, "G[0]");
    const d = saved(g);
    d.state.t = 0.5;
    expect(() => restoreTrainer(d)).toThrowError(expect.objectContaining({ code: "invalid_state" }));
    const e = saved(g);
    (e.state.w as unknown[])[0] = null; // what JSON makes of a NaN weight
    expect(() => restoreTrainer(e)).toThrowError(expect.objectContaining({ code: "invalid_state" }));
  });

  it("LogisticRegression (FTRL): negative n, class counts that do not add up to n, negative g2", () => {
    const m = new LogisticRegression({ classes: [0, 1] });
    m.update({ X, y: yCls });
    const a = saved(m);
    a.state.n = -6;
    expect(() => restoreTrainer(a)).toThrowError(expect.objectContaining({ code: "invalid_state" }));
    const b = saved(m);
    b.state.n = 60;
    expectInvalid(b, "n");
    const c = saved(m);
    (c.state.counts as number[])[0] = -1;
    expectInvalid(c, "counts[0]");
    const d = saved(m);
    (d.state.g2 as number[])[0] = -1;
    expectInvalid(d, "g2[0]");
  });

  it("RecursiveLeastSquares: an asymmetric P or a non-positive diagonal; MajorityClassifier: negative counts", () => {
    const r = new RecursiveLeastSquares();
    r.update({ X, y: yReg });
    const a = saved(r);
    (a.state.P as number[])[1] = (a.state.P as number[])[1]! + 1;
    expectInvalid(a, "P[0,1]");
    const b = saved(r);
    (b.state.P as number[])[0] = -1;
    expectInvalid(b, "P[0,0]");
    const mc = new MajorityClassifier({ classes: [0, 1] });
    mc.update({ X, y: yCls });
    const c = saved(mc);
    (c.state.counts as number[])[1] = -2;
    expectInvalid(c, "counts[1]");
  });
});

describe("standardize with huge-but-finite columns (issue 10, item 2)", () => {
  const huge = X.map((r, i) => [r[0]!, (i % 2 ? 1 : -1) * 1e200]);
  for (const make of [
    () => new SGDRegressor({ standardize: true, seed: 2 }),
    () => new SGDClassifier({ classes: [0, 1], standardize: true, seed: 2 }),
    () => new SGDClassifier({ classes: [0, 1, 2], standardize: true, seed: 2, learningRate: "adagrad" }),
  ]) {
    it(`${make().kind}: a column of ±1e200 is refused with non_finite and the learner is exactly unchanged`, () => {
      const y = make().task === "regression" ? yReg : yCls;
      const fresh = make();
      expect(() => fresh.update({ X: huge, y })).toThrowError(expect.objectContaining({ code: "non_finite", details: expect.objectContaining({ column: 1 }) }));
      expect(fresh.nSeen).toBe(0);
      expect(JSON.stringify(fresh.toJSON())).toBe(JSON.stringify(make().toJSON()));
      const trained = make();
      trained.update({ X, y });
      const before = JSON.stringify(trained.toJSON());
      expect(() => trained.update({ X: huge, y })).toThrowError(expect.objectContaining({ code: "non_finite" }));
      expect(JSON.stringify(trained.toJSON())).toBe(before);
      // Still restorable and still learning.
      const back = restoreTrainer(JSON.parse(before));
      back.update({ X, y });
      expect(JSON.stringify(back.toJSON())).not.toMatch(/[[,]null[,\]]/);
    });
  }

  it("OnlineStandardScaler refuses an overflowing batch and stays as it was", () => {
    const s = new OnlineStandardScaler();
    s.update([[1, 2], [3, 4]]);
    const before = JSON.stringify(s.toJSON());
    expect(() => s.update([[1, 1e200], [2, -1e200]])).toThrowError(expect.objectContaining({ code: "non_finite", details: expect.objectContaining({ column: 1 }) }));
    expect(JSON.stringify(s.toJSON())).toBe(before);
    expect(() => s.merge(Object.assign(new OnlineStandardScaler(), {}))).not.toThrow();
  });
});

describe("predictions that overflow throw prediction_overflow (issue 10, item 3)", () => {
  it("LinearRegression and SGDRegressor refuse rows whose prediction is ±Infinity, naming the row", () => {
    const lr = new LinearRegression();
    lr.update({ X: [[0], [1], [2]], y: [0, 2, 4] });
    expect(() => lr.predict([[1], [1e308]])).toThrowError(
      expect.objectContaining({ code: "prediction_overflow", details: expect.objectContaining({ row: 1 }) }),
    );
    const sgd = new SGDRegressor({ seed: 1, learningRate: "constant", eta0: 0.05 });
    for (let e = 0; e < 200; e++) sgd.update({ X: [[0], [1], [2]], y: [0, 10, 20] });
    expect(sgd.coefficients().weights[0]).toBeGreaterThan(5);
    expect(() => sgd.predict([[1e308]])).toThrowError(expect.objectContaining({ code: "prediction_overflow" }));
  });
});

describe("LinearRegression's singularity test honours l2 (issue 11)", () => {
  const r = fx.ridge_onehot;
  it("a full one-hot beside a large-scale column solves with l2 = 0.5, matching scikit-learn's Ridge", () => {
    const m = new LinearRegression({ l2: r.alpha });
    m.update({ X: r.X, y: r.y });
    const c = m.coefficients();
    expect(relErr(c.weights, r.coef)).toBeLessThan(1e-9);
    expect(Math.abs(c.intercept - r.intercept)).toBeLessThan(1e-9);
    expect(relErr(m.predict(r.X), r.pred)).toBeLessThan(1e-9);
  });

  it("with l2 = 0 the error names the collinearity (one-hot levels) and suggests l2 > 0", () => {
    const m = new LinearRegression();
    m.update({ X: r.X, y: r.y });
    let err: unknown;
    try {
      m.predict([[0, 1, 0, 0]]);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "singular_system" });
    expect((err as Error).message).toMatch(/linear combination.*one-hot.*set l2 > 0/);
  });

  it("with an l2 too small for the data's scale the error says so, and does not say to set l2 > 0", () => {
    const m = new LinearRegression({ l2: 1e-6 });
    m.update({ X: r.X, y: r.y });
    let err: unknown;
    try {
      m.coefficients();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "singular_system", details: expect.objectContaining({ l2: 1e-6 }) });
    expect((err as Error).message).not.toMatch(/set l2 > 0/);
    expect((err as Error).message).toMatch(/raise l2/);
  });
});

describe("standardize leaves one-hot columns unscaled (issue 11)", () => {
  const s = fx.sgd_onehot_skip;
  const kinds = ["numeric", "binary", "binary", "binary"] as const;
  function train(m: SGDRegressor): SGDRegressor {
    for (let e = 0; e < 5; e++) for (let i = 0; i < s.y.length; i += 500) m.update({ X: s.X.slice(i, i + 500), y: s.y.slice(i, i + 500) });
    return m;
  }
  function mse(pred: ArrayLike<number>): number {
    let e = 0;
    for (let i = 0; i < s.y.length; i++) e += (pred[i]! - s.y[i]!) ** 2;
    return e / s.y.length;
  }
  const sklearnMse = mse(s.X.map((r: number[]) => s.intercept + r[0]! * s.coef[0] + r[1]! * s.coef[1] + r[2]! * s.coef[2]));

  it("describeColumns marks binary columns, which stay unscaled: the fit approaches scikit-learn's least squares; scaling them all does not", () => {
    const described = new SGDRegressor({ standardize: true, seed: 1 });
    described.describeColumns(kinds);
    train(described);
    const all = train(new SGDRegressor({ standardize: true, seed: 1 }));
    expect(mse(described.predict(s.X))).toBeLessThan(sklearnMse * 1.1);
    expect(mse(all.predict(s.X))).toBeGreaterThan(sklearnMse * 10);
    const scaler = (described.toJSON().state as { scaler: { skip: number[]; mean: number[] } }).scaler;
    expect(scaler.skip).toEqual([1, 2, 3]);
    expect(scaler.mean.slice(1)).toEqual([0, 0, 0]);
  });

  it("the constructor option standardize: { skip } gives the same model as describeColumns", () => {
    const described = new SGDRegressor({ standardize: true, seed: 1 });
    described.describeColumns(kinds);
    const skipped = new SGDRegressor({ standardize: { skip: [3, 1, 2] }, seed: 1 });
    train(described);
    train(skipped);
    expect(skipped.params.standardize).toEqual({ skip: [1, 2, 3] });
    expect(JSON.stringify(skipped.toJSON().state)).toBe(JSON.stringify(described.toJSON().state));
  });

  it("the choice is saved: a restored learner predicts identically, accepts the same kinds again and refuses different ones", () => {
    const m = new SGDRegressor({ standardize: true, seed: 1 });
    m.describeColumns(kinds);
    m.update({ X: s.X.slice(0, 200), y: s.y.slice(0, 200) });
    const back = restoreTrainer(JSON.parse(JSON.stringify(m.toJSON()))) as SGDRegressor;
    expect(back.predict(s.X.slice(0, 50))).toEqual(m.predict(s.X.slice(0, 50)));
    expect(() => back.describeColumns(kinds)).not.toThrow();
    expect(() => back.describeColumns(["numeric", "numeric", "binary", "binary"])).toThrowError(expect.objectContaining({ code: "invalid_params" }));
    expect(() => back.describeColumns(["numeric"])).toThrowError(expect.objectContaining({ code: "column_mismatch" }));
    // A clone keeps the declaration (a pipeline clones its configured trainer for each challenger).
    const c = m.clone();
    c.update({ X: s.X.slice(0, 200), y: s.y.slice(0, 200) });
    expect(JSON.stringify(c.toJSON())).toBe(JSON.stringify(m.toJSON()));
  });

  it("SGDClassifier honours describeColumns too; bad declarations are typed errors before anything is learned", () => {
    const c = new SGDClassifier({ classes: [0, 1], standardize: true, seed: 1 });
    c.describeColumns(["numeric", "binary"]);
    c.update({ X: [[1, 0], [2, 1], [3, 0]], y: [0, 1, 0] });
    expect((c.toJSON().state as { scaler: { skip: number[] } }).scaler.skip).toEqual([1]);
    expect(() => c.describeColumns(["numeric", "categorical" as "binary"])).toThrowError(expect.objectContaining({ code: "invalid_params" }));
    const wrong = new SGDRegressor({ standardize: true });
    wrong.describeColumns(["numeric"]);
    expect(() => wrong.update({ X, y: yReg })).toThrowError(expect.objectContaining({ code: "column_mismatch" }));
    expect(wrong.nSeen).toBe(0);
    expect(() => new SGDRegressor({ standardize: { skip: [-1] } })).toThrowError(expect.objectContaining({ code: "invalid_params" }));
    const far = new SGDRegressor({ standardize: { skip: [7] } });
    expect(() => far.update({ X, y: yReg })).toThrowError(expect.objectContaining({ code: "invalid_params" }));
    // Without standardize the declaration changes nothing.
    const plain = new SGDRegressor({ seed: 1 });
    plain.describeColumns(["numeric", "binary"]);
    plain.update({ X, y: yReg });
    const ref = new SGDRegressor({ seed: 1 });
    ref.update({ X, y: yReg });
    expect(JSON.stringify(plain.toJSON())).toBe(JSON.stringify(ref.toJSON()));
  });
});

describe("every state learning can produce passes restore's invariant checks (property)", () => {
  // Columns that stress the centred sums: a constant, a large offset with tiny noise, an exact
  // duplicate, a scaled duplicate, a 0/1 flag; batches of any size, forgets of earlier batches.
  const rowArb = fc.tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -1e-6, max: 1e-6, noNaN: true }), fc.boolean());
  const batchArb = fc.array(rowArb, { minLength: 1, maxLength: 12 });
  function rows(b: Array<[number, number, boolean]>, shift: number): { X: number[][]; y: number[] } {
    return {
      X: b.map(([a, e, f]) => [3, 1e6 + shift + e, a, 2.5 * a, f ? 1 : 0]),
      y: b.map(([a, e, f]) => 2 * a + (f ? 1 : 0) + e * 1e6),
    };
  }
  it("LinearRegression, GaussianNB, SGD with standardize and RLS, after updates and forgets", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(batchArb, fc.double({ min: -5, max: 5, noNaN: true })), { minLength: 1, maxLength: 5 }), fc.nat(10), (batches, forgetAt) => {
        const data = batches.map(([b, shift]) => rows(b, shift));
        const learners: Trainer[] = [
          new LinearRegression(),
          new LinearRegression({ l2: 0.1, fitIntercept: false }),
          new GaussianNB({ classes: [0, 1] }),
          new SGDRegressor({ standardize: { skip: [4] }, seed: 1 }),
          new RecursiveLeastSquares(),
        ];
        for (const t of learners) {
          for (const b of data) {
            const y = t.task === "classification" ? b.X.map((r) => r[4]!) : b.y;
            try {
              t.update({ X: b.X, y });
            } catch (err) {
              expect(err).toMatchObject({ code: expect.any(String) });
            }
          }
          const f = data[forgetAt % data.length]!;
          if (t.forget && t.nSeen > 0) {
            try {
              t.forget({ X: f.X, y: t.task === "classification" ? f.X.map((r) => r[4]!) : f.y });
            } catch (err) {
              expect(err).toMatchObject({ code: expect.any(String) });
            }
          }
          const text = JSON.stringify(t.toJSON());
          expect(JSON.stringify(restoreTrainer(JSON.parse(text)).toJSON())).toBe(text);
        }
      }),
      { numRuns: 200, seed: 15 },
    );
  });
});

describe("toJSON never writes a non-finite number as null", () => {
  it("makeEnvelope refuses a state holding NaN or ±Infinity with non_finite naming the field", async () => {
    const { makeEnvelope } = await import("../../src/learners/envelope.js");
    expect(() => makeEnvelope("X", {}, { w: [1, NaN] })).toThrowError(expect.objectContaining({ code: "non_finite", details: { field: "state.w[1]" } }));
    expect(() => makeEnvelope("X", {}, { s: { m2: [Infinity] } })).toThrowError(expect.objectContaining({ code: "non_finite", details: { field: "state.s.m2[0]" } }));
    expect(makeEnvelope("X", {}, { w: [1, 2], G: null }).state).toEqual({ w: [1, 2], G: null });
  });
});
