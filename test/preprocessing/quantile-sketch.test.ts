import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FreshmlError, QuantileSketch, SeededRandom } from "../../src/index.js";

/** numpy's median of a list. */
const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

describe("QuantileSketch", () => {
  it("is exact (numpy's median and linear quantiles) up to k values", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 127 }), (xs) => {
        const s = new QuantileSketch(128);
        for (const x of xs) s.add(x);
        // === : −0 is stored as 0.
        expect(s.median() === median(xs)).toBe(true);
        const sorted = xs.slice().sort((a, b) => a - b);
        expect(s.quantile(0) === sorted[0]).toBe(true);
        expect(s.quantile(1) === sorted[sorted.length - 1]).toBe(true);
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it("adding values in any batch split gives the state of one pass in the same order", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 2, max: 40 }), (xs, cuts, k) => {
        const one = new QuantileSketch(k);
        for (const x of xs) one.add(x);
        // A batch at a time, through JSON between batches (as a checkpoint would).
        let s = new QuantileSketch(k);
        const at = [0, ...cuts.map((c) => c % (xs.length + 1)).sort((a, b) => a - b), xs.length];
        for (let i = 0; i + 1 < at.length; i++) {
          for (const x of xs.slice(at[i], at[i + 1])) s.add(x);
          s = QuantileSketch.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
        }
        expect(s.toJSON()).toEqual(one.toJSON());
        expect(s.n).toBe(xs.length);
      }),
      { numRuns: 150, seed: 4 },
    );
  });

  it("beyond k values the median's rank error is within the worst-case bound levels/k, and within 1.5 % on seeded streams", () => {
    for (const [name, gen] of [
      ["normal", (rng: SeededRandom) => rng.nextGaussian()],
      ["lognormal", (rng: SeededRandom) => Math.exp(2 * rng.nextGaussian())],
      ["ascending", (_rng: SeededRandom, i: number) => i],
    ] as const) {
      const rng = new SeededRandom(5);
      const n = 50_000;
      const xs = Array.from({ length: n }, (_, i) => gen(rng, i));
      const s = new QuantileSketch();
      for (const x of xs) s.add(x);
      const m = s.median();
      const below = xs.filter((x) => x < m).length / n;
      const upTo = xs.filter((x) => x <= m).length / n;
      const err = Math.max(0, below - 0.5, 0.5 - upTo);
      const levels = s.toJSON().levels.length;
      expect(err, name).toBeLessThanOrEqual(levels / s.k);
      expect(err, name).toBeLessThanOrEqual(0.015);
      // Bounded memory: under k items per level.
      expect(s.toJSON().levels.every((l) => l.length < s.k)).toBe(true);
    }
  });

  it("refuses bad input and malformed state with typed errors", () => {
    const s = new QuantileSketch(4);
    expect(() => s.add(NaN)).toThrow(FreshmlError);
    expect(() => s.add(Infinity)).toThrow(/finite/);
    expect(s.median()).toBeNaN();
    expect(() => s.quantile(2)).toThrow(/\[0, 1\]/);
    expect(() => new QuantileSketch(1)).toThrow(/k in/);
    for (const bad of [{}, { k: 4, n: 1, levels: [[1, 2, 3, 4]], compactions: [0] }, { k: 4, n: 1, levels: [[1]], compactions: [] }]) {
      let err: unknown;
      try {
        QuantileSketch.fromJSON(bad);
      } catch (e) {
        err = e;
      }
      expect((err as FreshmlError).code).toBe("invalid_state");
    }
  });
});
