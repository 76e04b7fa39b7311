import { describe, expect, it } from "vitest";
import { GaussianNB } from "../../src/index.js";
import { relErr, sklearnFixture } from "../fixtures/load.js";

const fx = sklearnFixture().wine_nb;

function streamed(model: GaussianNB): GaussianNB {
  for (let i = 0; i < fx.X.length; i += fx.batch) model.update({ X: fx.X.slice(i, i + fx.batch), y: fx.y.slice(i, i + fx.batch) });
  return model;
}

describe("GaussianNB", () => {
  it("equals scikit-learn's GaussianNB.partial_fit on the wine data (counts, means, variances)", () => {
    const m = streamed(new GaussianNB({ classes: [0, 1, 2], varSmoothing: 0 }));
    const { counts, means, variances } = m.moments();
    expect(Array.from(counts)).toEqual(fx.class_count);
    expect(relErr(means, fx.theta)).toBeLessThan(1e-12);
    // The fixture's variances come from scikit-learn's var_smoothing=0 model (see the generator).
    for (let i = 0; i < variances.length; i++) expect(Math.abs(variances[i]! - fx.var_raw[i]) / fx.var_raw[i]).toBeLessThan(1e-9);
  });

  it("gives scikit-learn's probabilities (var_smoothing 0) and labels (default smoothing)", () => {
    const exact = streamed(new GaussianNB({ classes: [0, 1, 2], varSmoothing: 0 }));
    const p = exact.predictProba(fx.X);
    let maxErr = 0;
    for (let i = 0; i < p.length; i++) maxErr = Math.max(maxErr, Math.abs(p[i]! - fx.proba_no_smoothing[i]));
    expect(maxErr).toBeLessThan(1e-9);
    const dflt = streamed(new GaussianNB({ classes: [0, 1, 2] }));
    expect(Array.from(dflt.predict(fx.X))).toEqual(fx.pred);
  });

  it("merges shards exactly and forgets exactly", () => {
    const a = new GaussianNB({ classes: [0, 1, 2] });
    const b = new GaussianNB({ classes: [0, 1, 2] });
    a.update({ X: fx.X.slice(0, 90), y: fx.y.slice(0, 90) });
    b.update({ X: fx.X.slice(90), y: fx.y.slice(90) });
    a.merge(b);
    const all = streamed(new GaussianNB({ classes: [0, 1, 2] }));
    expect(relErr(a.predictProba(fx.X), all.predictProba(fx.X))).toBeLessThan(1e-10);
    all.forget({ X: fx.X.slice(90), y: fx.y.slice(90) });
    const first = new GaussianNB({ classes: [0, 1, 2] });
    first.update({ X: fx.X.slice(0, 90), y: fx.y.slice(0, 90) });
    expect(relErr(all.moments().means, first.moments().means)).toBeLessThan(1e-10);
    expect(relErr(all.moments().variances, first.moments().variances)).toBeLessThan(1e-8);
  });

  it("names the row of a label outside the declared classes", () => {
    const m = new GaussianNB({ classes: [0, 1] });
    expect(() => m.update({ X: [[1], [2], [3]], y: [0, 1, 7] })).toThrowError(
      expect.objectContaining({ code: "unknown_class", details: expect.objectContaining({ row: 2, observed: 7 }) }),
    );
    expect(m.nSeen).toBe(0);
  });

  it("uses fixed priors when given", () => {
    const m = new GaussianNB({ classes: [0, 1], priors: [0.9, 0.1] });
    m.update({ X: [[0], [0.1], [1], [1.1]], y: [0, 0, 1, 1] });
    // Midway the likelihoods tie, so the prior decides.
    expect(Array.from(m.predict([[0.55]]))).toEqual([0]);
    expect(() => new GaussianNB({ classes: [0, 1], priors: [0.5, 0.6] })).toThrowError(expect.objectContaining({ code: "invalid_params" }));
  });
});
