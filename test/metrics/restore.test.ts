import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Accuracy,
  BalancedAccuracy,
  LogLoss,
  MacroF1,
  MAE,
  R2,
  restoreMetric,
  RMSE,
  RocAuc,
  type Metric,
  type MetricJSON,
} from "../../src/index.js";
import { specs } from "./specs.js";

/** What a store would keep: the JSON text, parsed back. */
const saved = (m: Metric): unknown => JSON.parse(JSON.stringify(m));

/** Same value bit for bit, same count, same saved state. */
function expectSame(restored: Metric, original: Metric): void {
  expect(Object.is(restored.get(), original.get())).toBe(true);
  expect(restored.count).toBe(original.count);
  expect(JSON.stringify(restored)).toBe(JSON.stringify(original));
}

describe.each(specs)("$label fromJSON", ({ make, fromJSON, cls, batch }) => {
  it("restores a metric that continues bit-identically: update, merge, revert (property)", () => {
    fc.assert(
      fc.property(batch, batch, batch, (a, b, c) => {
        const original = make();
        original.update(a.yTrue, a.yPred);
        const viaClass = fromJSON(saved(original));
        const viaRegistry = restoreMetric(saved(original));
        for (const restored of [viaClass, viaRegistry]) {
          expect(restored).toBeInstanceOf(cls);
          expect(restored.name).toBe(original.name);
          expect(restored.input).toBe(original.input);
          expect(restored.biggerIsBetter).toBe(original.biggerIsBetter);
          expectSame(restored, original);
        }
        original.update(b.yTrue, b.yPred);
        const other = make();
        other.update(c.yTrue, c.yPred);
        for (const restored of [viaClass, viaRegistry]) {
          restored.update(b.yTrue, b.yPred);
          expectSame(restored, original);
        }
        original.merge(other);
        for (const restored of [viaClass, viaRegistry]) {
          restored.merge(other);
          expectSame(restored, original);
        }
        original.revert(b.yTrue, b.yPred);
        for (const restored of [viaClass, viaRegistry]) {
          restored.revert(b.yTrue, b.yPred);
          expectSame(restored, original);
        }
      }),
      { numRuns: 60, seed: 21 },
    );
  });

  it("restores a fresh metric, merges with the original's kind, and clones", () => {
    const fresh = fromJSON(saved(make()));
    expect(fresh.get()).toBeNaN();
    expect(fresh.count).toBe(0);
    const m = make();
    m.merge(fresh);
    fresh.merge(m);
    expect(fresh.clone().toJSON()).toEqual(make().toJSON());
  });
});

describe("fromJSON rejects malformed JSON with invalid_state", () => {
  const invalid = expect.objectContaining({ code: "invalid_state" });
  const with_ = (m: Metric, patch: { params?: Record<string, unknown>; state?: Record<string, unknown>; metric?: string }): unknown => {
    const j = saved(m) as MetricJSON;
    return { metric: patch.metric ?? j.metric, params: { ...j.params, ...patch.params }, state: { ...j.state, ...patch.state } };
  };
  const filled = <M extends Metric>(m: M, yTrue: number[], yPred: number[]): M => {
    m.update(yTrue, yPred);
    return m;
  };

  it("not a metric's JSON at all", () => {
    for (const bad of [null, undefined, 3, "rmse", [], {}, { metric: "rmse" }, { metric: "rmse", params: {}, state: null }, { metric: "rmse", params: [], state: {} }]) {
      expect(() => RMSE.fromJSON(bad)).toThrowError(invalid);
      expect(() => restoreMetric(bad)).toThrowError(invalid);
    }
  });

  it("another metric's JSON", () => {
    expect(() => RMSE.fromJSON(saved(new MAE()))).toThrowError(invalid);
    expect(() => MacroF1.fromJSON(saved(new BalancedAccuracy({ classes: [0, 1] })))).toThrowError(invalid);
  });

  it("missing, non-numeric, non-finite or negative running sums and counts", () => {
    const r = filled(new RMSE(), [1, 2], [2, 2]);
    expect(() => RMSE.fromJSON(with_(r, { state: { sumSq: undefined } }))).toThrowError(invalid);
    expect(() => RMSE.fromJSON(with_(r, { state: { sumSq: "1" } }))).toThrowError(invalid);
    expect(() => RMSE.fromJSON(with_(r, { state: { sumSq: NaN } }))).toThrowError(invalid);
    expect(() => RMSE.fromJSON(with_(r, { state: { sumSq: Infinity } }))).toThrowError(invalid);
    expect(() => RMSE.fromJSON(with_(r, { state: { n: -1 } }))).toThrowError(invalid);
    expect(() => RMSE.fromJSON(with_(r, { state: { n: 1.5 } }))).toThrowError(invalid);
    expect(() => MAE.fromJSON(with_(filled(new MAE(), [1], [2]), { state: { sum: null } }))).toThrowError(invalid);
    expect(() => R2.fromJSON(with_(filled(new R2(), [1, 2], [1, 3]), { state: { m2: -1 } }))).toThrowError(invalid);
    expect(() => LogLoss.fromJSON(with_(filled(new LogLoss({ classes: [0, 1] }), [1], [0.5, 0.5]), { state: { n: "1" } }))).toThrowError(invalid);
  });

  it("counts that cannot come from any data", () => {
    expect(() => Accuracy.fromJSON(with_(filled(new Accuracy(), [1, 0], [1, 1]), { state: { correct: 3 } }))).toThrowError(invalid);
    const f1 = filled(new MacroF1({ classes: [0, 1] }), [0, 1, 1], [0, 0, 1]);
    expect(() => MacroF1.fromJSON(with_(f1, { state: { n: 4 } }))).toThrowError(invalid);
    expect(() => MacroF1.fromJSON(with_(f1, { state: { fp: [0, 0] } }))).toThrowError(invalid);
    expect(() => MacroF1.fromJSON(with_(f1, { state: { tp: [1, 1, 0] } }))).toThrowError(invalid);
    const ba = filled(new BalancedAccuracy({ classes: [0, 1] }), [0, 1, 1], [0, 0, 1]);
    expect(() => BalancedAccuracy.fromJSON(with_(ba, { state: { support: [1, 1] } }))).toThrowError(invalid);
    expect(() => BalancedAccuracy.fromJSON(with_(ba, { state: { correct: [2, 0] } }))).toThrowError(invalid);
    expect(() => BalancedAccuracy.fromJSON(with_(ba, { state: { correct: [1, 1, 0] } }))).toThrowError(invalid);
    expect(() => BalancedAccuracy.fromJSON(with_(ba, { state: { support: [1, -1], n: 0 } }))).toThrowError(invalid);
    const auc = filled(new RocAuc({ classes: [0, 1], bins: 4 }), [0, 1], [0.8, 0.2, 0.3, 0.7]);
    expect(() => RocAuc.fromJSON(with_(auc, { state: { pos: [0, 0, 1] } }))).toThrowError(invalid);
    expect(() => RocAuc.fromJSON(with_(auc, { state: { n: 3 } }))).toThrowError(invalid);
    expect(() => RocAuc.fromJSON(with_(auc, { state: { neg: [0.5, 0.5, 0, 0] } }))).toThrowError(invalid);
  });

  it("parameters the constructor would refuse", () => {
    const ba = new BalancedAccuracy({ classes: [0, 1] });
    expect(() => BalancedAccuracy.fromJSON(with_(ba, { params: { classes: [0, 0] } }))).toThrowError(invalid);
    expect(() => BalancedAccuracy.fromJSON(with_(ba, { params: { classes: [0] } }))).toThrowError(invalid);
    expect(() => BalancedAccuracy.fromJSON(with_(ba, { params: { classes: "0,1" } }))).toThrowError(invalid);
    const ll = new LogLoss({ classes: [0, 1] });
    expect(() => LogLoss.fromJSON(with_(ll, { params: { classes: undefined } }))).toThrowError(invalid);
    const auc = new RocAuc({ classes: [0, 1], bins: 4 });
    expect(() => RocAuc.fromJSON(with_(auc, { params: { bins: 1 } }))).toThrowError(invalid);
    expect(() => RocAuc.fromJSON(with_(auc, { params: { bins: 2.5 } }))).toThrowError(invalid);
    // Three classes is `unsupported` for the constructor, but a saved state that claims it is broken.
    expect(() => RocAuc.fromJSON(with_(auc, { params: { classes: [0, 1, 2] } }))).toThrowError(invalid);
  });
});
