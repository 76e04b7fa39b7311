import { describe, expect, it } from "vitest";
import { OnlineStandardScaler } from "../../src/index.js";
import { relErr, sklearnFixture } from "../fixtures/load.js";

describe("OnlineStandardScaler", () => {
  const fx = sklearnFixture();
  const X: number[][] = fx.cancer_sgd.Xtr.concat(fx.cancer_sgd.Xte);

  it("equals scikit-learn's StandardScaler on breast cancer, streamed in uneven batches", () => {
    // The fixture scaler was fit on all 569 rows in their original order; row order does not matter.
    const s = new OnlineStandardScaler();
    for (let i = 0, k = 1; i < X.length; i += k, k = (k * 7) % 61 + 1) s.update(X.slice(i, i + k));
    expect(s.count).toBe(569);
    expect(relErr(s.means(), fx.cancer_scaler.mean)).toBeLessThan(1e-12);
    const v = s.variances();
    for (let j = 0; j < v.length; j++) expect(Math.abs(v[j]! - fx.cancer_scaler.var[j]) / fx.cancer_scaler.var[j]).toBeLessThan(1e-10);
  });

  it("merges and forgets exactly", () => {
    const a = new OnlineStandardScaler();
    const b = new OnlineStandardScaler();
    a.update(X.slice(0, 300));
    b.update(X.slice(300));
    a.merge(b);
    expect(relErr(a.means(), fx.cancer_scaler.mean)).toBeLessThan(1e-12);
    const f = Float64Array.from(X.slice(300).flat());
    a.forgetDense(f, 30);
    const first = new OnlineStandardScaler();
    first.update(X.slice(0, 300));
    expect(relErr(a.means(), first.means())).toBeLessThan(1e-10);
  });

  it("divides a constant column by 1, as scikit-learn does", () => {
    const s = new OnlineStandardScaler();
    s.update([[1, 5], [3, 5]]);
    expect(Array.from(s.transform([[2, 5], [3, 6]]))).toEqual([0, 0, 1, 1]);
  });

  it("round-trips through JSON", () => {
    const s = new OnlineStandardScaler();
    s.update(X.slice(0, 50));
    const back = OnlineStandardScaler.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    expect(Array.from(back.transform(X.slice(60, 65)))).toEqual(Array.from(s.transform(X.slice(60, 65))));
  });
});
