import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packArrays, unpackArrays } from "../../src/node/f64-codec.js";

describe("f64 codec of the file store", () => {
  it("round-trips any JSON-like state bit for bit, packing long number arrays (property)", () => {
    const state = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.double(),
        fc.string(),
        fc.boolean(),
        fc.array(fc.double(), { minLength: 0, maxLength: 40 }),
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(fc.string().filter((k) => k !== "$f64" && k !== "__proto__"), tie("node"), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(state, (s) => {
        const back = unpackArrays(JSON.parse(JSON.stringify(packArrays(s))));
        // Object.is on every number: −0 and NaN survive too.
        const same = (a: unknown, b: unknown): boolean =>
          typeof a === "number" ? Object.is(a, b) :
          Array.isArray(a) ? Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i])) :
          a !== null && typeof a === "object" ? b !== null && typeof b === "object" && Object.keys(a).every((k) => same((a as never)[k], (b as never)[k])) :
          a === b;
        // Outside the packed arrays, JSON decides (it turns NaN into null), so compare only packable shapes exactly.
        return JSON.stringify(s) === JSON.stringify(back) || same(s, back);
      }),
      { numRuns: 300, seed: 4 },
    );
  });

  it("packs only arrays of 16+ numbers, and keeps −0, NaN and ±Infinity exactly", () => {
    const long = [-0, NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, ...Array.from({ length: 10 }, (_, i) => i / 3)];
    const packed = packArrays({ a: long, b: [1, 2, 3] }) as { a: { $f64: string }; b: number[] };
    expect(typeof packed.a.$f64).toBe("string");
    expect(packed.b).toEqual([1, 2, 3]);
    const back = unpackArrays(JSON.parse(JSON.stringify(packed))) as { a: number[] };
    back.a.forEach((v, i) => expect(Object.is(v, long[i])).toBe(true));
  });
});
