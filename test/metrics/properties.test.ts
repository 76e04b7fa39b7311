import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concat, specs, statesClose } from "./specs.js";

// Counts are exact; float sums agree up to rounding (relative to the sums involved).
const TOL = 1e-9;

describe.each(specs)("$label (properties)", ({ make, batch, exact }) => {
  it("merging two halves equals one pass over the whole", () => {
    fc.assert(
      fc.property(batch, batch, (a, b) => {
        const whole = make();
        const ab = concat(a, b);
        whole.update(ab.yTrue, ab.yPred);
        const left = make();
        const right = make();
        left.update(a.yTrue, a.yPred);
        right.update(b.yTrue, b.yPred);
        left.merge(right);
        expect(left.count).toBe(whole.count);
        expect(statesClose(left, whole, exact ? 0 : TOL)).toBe(true);
        if (exact) expect(Object.is(left.get(), whole.get())).toBe(true);
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it("update then revert gives the state before", () => {
    fc.assert(
      fc.property(batch, batch, (a, b) => {
        const m = make();
        m.update(a.yTrue, a.yPred);
        const before = make();
        before.merge(m);
        m.update(b.yTrue, b.yPred);
        const mid = make();
        mid.merge(m);
        m.revert(b.yTrue, b.yPred);
        expect(m.count).toBe(before.count);
        expect(statesClose(m, before, exact ? 0 : TOL, mid)).toBe(true);
        if (exact) expect(Object.is(m.get(), before.get())).toBe(true);
      }),
      { numRuns: 150, seed: 12 },
    );
  });

  it("merging an empty instance changes nothing, and an empty one is NaN", () => {
    fc.assert(
      fc.property(batch, (a) => {
        const m = make();
        expect(m.get()).toBeNaN();
        m.update(a.yTrue, a.yPred);
        const before = JSON.stringify(m);
        const v = m.get();
        m.merge(make());
        expect(JSON.stringify(m)).toBe(before);
        expect(Object.is(m.get(), v)).toBe(true);
      }),
      { numRuns: 50, seed: 13 },
    );
  });
});
