import { describe, expect, it } from "vitest";
import { Accuracy, BalancedAccuracy, LogLoss, MacroF1, MAE, R2, RMSE, RocAuc, type Metric } from "../../src/index.js";
import { sklearnFixture } from "../fixtures/load.js";

const fx = sklearnFixture().metrics;

type Case = [string, () => Metric, number[], number[], number, number, number];
const cases: Case[] = [
  ["mae", () => new MAE(), fx.y_true, fx.y_pred, fx.mae, 1, 1e-12],
  ["rmse", () => new RMSE(), fx.y_true, fx.y_pred, fx.rmse, 1, 1e-12],
  ["r2", () => new R2(), fx.y_true, fx.y_pred, fx.r2, 1, 1e-12],
  ["accuracy", () => new Accuracy(), fx.labels_true, fx.labels_pred, fx.accuracy, 1, 1e-15],
  ["macro_f1", () => new MacroF1({ classes: [0, 1, 2] }), fx.labels_true, fx.labels_pred, fx.macro_f1, 1, 1e-12],
  ["logloss", () => new LogLoss({ classes: [0, 1, 2] }), fx.labels_true, fx.proba3, fx.log_loss, 3, 1e-12],
  ["roc_auc", () => new RocAuc({ classes: [0, 1] }), fx.binary_true, fx.proba2, fx.roc_auc, 2, 1e-3],
  ["balancedaccuracy", () => new BalancedAccuracy({ classes: [0, 1, 2] }), fx.labels_true, fx.labels_pred, fx.balanced_accuracy, 1, 1e-12],
];

describe.each(cases)("%s", (_name, make, yt, yp, expected, perRow, tol) => {
  const slice = (a: number[], from: number, to: number, k: number): number[] => a.slice(from * k, to * k);

  it("equals scikit-learn when streamed in batches", () => {
    const m = make();
    for (let i = 0; i < yt.length; i += 73) m.update(yt.slice(i, i + 73), slice(yp, i, i + 73, perRow));
    expect(m.count).toBe(yt.length);
    expect(Math.abs(m.get() - expected)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));
  });

  it("merge of two halves equals the whole, and revert undoes an update", () => {
    const a = make();
    const b = make();
    a.update(yt.slice(0, 200), slice(yp, 0, 200, perRow));
    b.update(yt.slice(200), slice(yp, 200, yt.length, perRow));
    a.merge(b);
    expect(Math.abs(a.get() - expected)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));
    const whole = make();
    whole.update(yt.slice(0, 200), slice(yp, 0, 200, perRow));
    const firstHalf = whole.get();
    whole.update(yt.slice(200), slice(yp, 200, yt.length, perRow));
    whole.revert(yt.slice(200), slice(yp, 200, yt.length, perRow));
    expect(whole.get()).toBeCloseTo(firstHalf, 10);
    expect(make().get()).toBeNaN();
  });

  it("rejects mismatched lengths", () => {
    expect(() => make().update(yt.slice(0, 3), slice(yp, 0, 2, perRow))).toThrowError(
      expect.objectContaining({ code: "target_length_mismatch" }),
    );
  });
});

describe("metric direction", () => {
  it("says whether bigger is better", () => {
    expect(new RMSE().biggerIsBetter).toBe(false);
    expect(new Accuracy().biggerIsBetter).toBe(true);
    expect(new R2().biggerIsBetter).toBe(true);
    expect(new LogLoss({ classes: [0, 1] }).biggerIsBetter).toBe(false);
  });
});
