import { describe, expect, it } from "vitest";
import { Accuracy, BalancedAccuracy, MacroF1 } from "../../src/index.js";
import { sklearnFixture } from "../fixtures/load.js";

const fx = sklearnFixture().balanced_accuracy as {
  classes: number[];
  y_true: number[];
  y_pred: number[];
  value: number;
  warnings: string[];
  accuracy: number;
};

describe("BalancedAccuracy against scikit-learn 1.2", () => {
  it("ignores a declared class absent from the truth, even when predicted (sklearn warns), and one absent everywhere", () => {
    // The fixture's truth has no 6 and no 8; its predictions include 6.
    expect(fx.y_true).not.toContain(6);
    expect(fx.y_pred).toContain(6);
    expect(fx.warnings).toEqual(["y_pred contains classes not in y_true"]);
    const m = new BalancedAccuracy({ classes: fx.classes });
    for (let i = 0; i < fx.y_true.length; i += 37) m.update(fx.y_true.slice(i, i + 37), fx.y_pred.slice(i, i + 37));
    expect(m.count).toBe(fx.y_true.length);
    expect(Math.abs(m.get() - fx.value)).toBeLessThanOrEqual(1e-12);
    // Imbalanced on purpose, so it is not plain accuracy.
    const acc = new Accuracy();
    acc.update(fx.y_true, fx.y_pred);
    expect(acc.get()).toBe(fx.accuracy);
    expect(Math.abs(m.get() - acc.get())).toBeGreaterThan(0.005);
  });

  it("does not depend on the order the classes are declared in (up to rounding)", () => {
    const m = new BalancedAccuracy({ classes: fx.classes.slice().reverse() });
    m.update(fx.y_true, fx.y_pred);
    expect(Math.abs(m.get() - fx.value)).toBeLessThanOrEqual(1e-12);
  });
});

describe("BalancedAccuracy", () => {
  it("is the mean recall over the classes seen in the truth", () => {
    const m = new BalancedAccuracy({ classes: [0, 1, 2] });
    m.update([0, 0, 0, 1], [0, 0, 1, 1]);
    expect(m.get()).toBe((2 / 3 + 1) / 2);
    // A class seen only in predictions adds a wrong prediction to its true class, not a class of its own.
    m.update([0], [2]);
    expect(m.get()).toBe((2 / 4 + 1) / 2);
  });

  it("is NaN before any row and again after reverting everything", () => {
    const m = new BalancedAccuracy({ classes: [0, 1] });
    expect(m.get()).toBeNaN();
    m.update([0, 1], [1, 1]);
    expect(m.get()).toBe(0.5);
    m.revert([0, 1], [1, 1]);
    expect(m.get()).toBeNaN();
    expect(m.count).toBe(0);
  });

  it("says what it scores and which way is better", () => {
    const m = new BalancedAccuracy({ classes: [0, 1] });
    expect(m.name).toBe("balancedaccuracy");
    expect(m.input).toBe("label");
    expect(m.biggerIsBetter).toBe(true);
    expect(m.classes).toEqual([0, 1]);
  });

  it("rejects an unknown label in truth or prediction as MacroF1 does, folding in nothing", () => {
    for (const make of [() => new BalancedAccuracy({ classes: [0, 1] }), () => new MacroF1({ classes: [0, 1] })]) {
      const m = make();
      m.update([0, 1], [0, 1]);
      const before = JSON.stringify(m);
      expect(() => m.update([0, 7], [0, 1])).toThrowError(expect.objectContaining({ code: "unknown_class", details: expect.objectContaining({ row: 1, observed: 7 }) }));
      expect(() => m.update([0, 1, 1], [0, 1, 5])).toThrowError(expect.objectContaining({ code: "unknown_class", details: expect.objectContaining({ row: 2, observed: 5 }) }));
      expect(JSON.stringify(m)).toBe(before);
    }
  });

  it("rejects non-finite values and length mismatches", () => {
    const m = new BalancedAccuracy({ classes: [0, 1] });
    expect(() => m.update([0, NaN], [0, 1])).toThrowError(expect.objectContaining({ code: "non_finite" }));
    expect(() => m.update([0, 1], [0])).toThrowError(expect.objectContaining({ code: "target_length_mismatch" }));
    expect(m.count).toBe(0);
  });

  it("checks its classes like the other label metrics", () => {
    expect(() => new BalancedAccuracy({ classes: [1] })).toThrowError(expect.objectContaining({ code: "invalid_params" }));
    expect(() => new BalancedAccuracy({ classes: [1, 1] })).toThrowError(expect.objectContaining({ code: "invalid_params" }));
    // @ts-expect-error classes is required
    expect(() => new BalancedAccuracy({})).toThrowError(expect.objectContaining({ code: "invalid_params" }));
  });

  it("merges only with the same classes", () => {
    const a = new BalancedAccuracy({ classes: [0, 1] });
    expect(() => a.merge(new BalancedAccuracy({ classes: [0, 1, 2] }))).toThrowError(expect.objectContaining({ code: "incompatible_merge" }));
    expect(() => a.merge(new MacroF1({ classes: [0, 1] }))).toThrowError(expect.objectContaining({ code: "incompatible_merge" }));
  });

  it("gives a fresh instance with the same classes from clone()", () => {
    const m = new BalancedAccuracy({ classes: [3, 4] });
    m.update([3], [3]);
    const c = m.clone();
    expect(c.classes).toEqual([3, 4]);
    expect(c.count).toBe(0);
    expect(c.get()).toBeNaN();
  });
});
