import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FreshmlError, LinearRegression, readBatch, type Batch } from "../../src/index.js";

function codeOf(fn: () => unknown): { code: string; details: Record<string, unknown>; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FreshmlError);
    const e = err as FreshmlError;
    return { code: e.code, details: e.details, message: e.message };
  }
  throw new Error("did not throw");
}

describe("readBatch: bad input gets a typed error naming the row and column", () => {
  const cases: Array<[string, Batch, string, number | undefined, number | undefined]> = [
    ["NaN feature", { X: [[1, 2], [3, NaN]], y: [1, 2] }, "non_finite", 1, 1],
    ["Infinity feature", { X: [[1, -Infinity]], y: [1] }, "non_finite", 0, 1],
    ["NaN in a Float64Array", { X: new Float64Array([1, 2, 3, NaN]), cols: 2, y: [1, 2] }, "non_finite", 1, 1],
    ["NaN target", { X: [[1], [2]], y: [1, NaN] }, "non_finite", 1, undefined],
    ["ragged rows", { X: [[1, 2], [3]], y: [1, 2] }, "ragged_rows", 1, undefined],
    ["empty batch", { X: [], y: [] }, "empty_batch", undefined, undefined],
    ["string value", { X: [[1, "2" as unknown as number]], y: [1] }, "non_numeric", 0, 1],
    ["null value", { X: [[null as unknown as number]], y: [1] }, "non_numeric", 0, 0],
    ["row not an array", { X: [[1], 5 as unknown as number[]], y: [1, 2] }, "non_numeric", 1, undefined],
    ["string target", { X: [[1]], y: ["a" as unknown as number] }, "non_numeric", 0, undefined],
    ["missing target", { X: [[1]] } as unknown as Batch, "target_missing", undefined, undefined],
    ["target length", { X: [[1], [2]], y: [1] }, "target_length_mismatch", undefined, undefined],
    ["Float64Array without cols", { X: new Float64Array([1, 2]), y: [1, 2] }, "column_mismatch", undefined, undefined],
    ["Float64Array not whole rows", { X: new Float64Array([1, 2, 3]), cols: 2, y: [1] }, "ragged_rows", undefined, undefined],
  ];
  it.each(cases)("%s", (_name, batch, code, row, column) => {
    const e = codeOf(() => readBatch(batch));
    expect(e.code).toBe(code);
    expect(e.details.row).toBe(row);
    expect(e.details.column).toBe(column);
    expect(e.message.length).toBeGreaterThan(10);
  });

  it("a wrong column count against a fitted model is column_mismatch", () => {
    const m = new LinearRegression();
    m.update({ X: [[1, 2], [2, 1], [3, 3]], y: [1, 2, 3] });
    const e = codeOf(() => m.update({ X: [[1, 2, 3]], y: [1] }));
    expect(e.code).toBe("column_mismatch");
    expect(e.details).toMatchObject({ observed: 3, expected: 2 });
  });

  it("never throws anything but a FreshmlError on arbitrary junk (property)", () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (X, y) => {
        try {
          readBatch({ X, y } as unknown as Batch);
        } catch (err) {
          return err instanceof FreshmlError;
        }
        return true;
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

describe("CheckedBatch", () => {
  it("is checked once; readBatch and readFeatures pass it through; only the library can make one", async () => {
    const { checkBatch, isCheckedBatch, readBatch, readFeatures, sliceCheckedBatch, FreshmlError } = await import("../../src/index.js");
    const b = checkBatch({ X: [[1, 2], [3, 4], [5, 6]], y: [1, 2, 3] });
    expect(isCheckedBatch(b)).toBe(true);
    expect(b.y).toBeInstanceOf(Float64Array);
    expect(readBatch(b)).toBe(b);
    expect(readFeatures(b)).toBe(b);
    expect(() => readBatch(b, 3)).toThrow(FreshmlError); // the column count is still checked
    const s = sliceCheckedBatch(b, 1, 3);
    expect(isCheckedBatch(s)).toBe(true);
    expect(Array.from(s.X)).toEqual([3, 4, 5, 6]);
    // A look-alike object is not checked: it is scanned as usual.
    const fake = { ...b, X: new Float64Array([1, NaN, 3, 4, 5, 6]) };
    expect(isCheckedBatch(fake)).toBe(false);
    expect(() => readBatch(fake)).toThrow(/non_finite|finite/);
    expect(() => checkBatch({ X: [[1, NaN]], y: [1] })).toThrow(FreshmlError);
  });
});

describe("sparse and absurdly long arrays (issue 10, item 16)", () => {
  function sparse(length: number, set: Record<number, unknown> = {}): unknown[] {
    const a: unknown[] = [];
    a.length = length;
    for (const [k, v] of Object.entries(set)) a[Number(k)] = v;
    return a;
  }
  it("an X claiming 2^32 − 1 rows is batch_too_large at once, from readBatch, checkBatch and readFeatures", async () => {
    const { readBatch, checkBatch, readFeatures, MAX_BATCH_VALUES } = await import("../../src/index.js");
    const X = sparse(2 ** 32 - 1, { 0: [1, 2] }) as number[][];
    const y = sparse(2 ** 32 - 1) as number[];
    const started = Date.now();
    for (const fn of [() => readBatch({ X, y }), () => checkBatch({ X, y }), () => readFeatures(X)]) {
      expect(fn).toThrowError(expect.objectContaining({ code: "batch_too_large", details: expect.objectContaining({ expected: `≤ ${MAX_BATCH_VALUES} values` }) }));
    }
    expect(Date.now() - started).toBeLessThan(1000);
  });
  it("a hole in X or y is non_numeric naming the row, found before the values are copied", async () => {
    const { readBatch } = await import("../../src/index.js");
    const X = sparse(3_000_000, { 0: [1], 2_999_999: [2] }) as number[][];
    const started = Date.now();
    expect(() => readBatch({ X, y: new Float64Array(3_000_000) })).toThrowError(
      expect.objectContaining({ code: "non_numeric", message: expect.stringContaining("hole"), details: expect.objectContaining({ row: 1 }) }),
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(() => readBatch({ X: [[1], [2]], y: sparse(2, { 0: 1 }) as number[] })).toThrowError(
      expect.objectContaining({ code: "non_numeric", details: expect.objectContaining({ row: 1, observed: "hole" }) }),
    );
  });
  it("a row claiming 2^32 − 1 columns is batch_too_large; ordinary batches still read", async () => {
    const { readBatch } = await import("../../src/index.js");
    expect(() => readBatch({ X: [sparse(2 ** 32 - 1) as number[]], y: [1] })).toThrowError(expect.objectContaining({ code: "batch_too_large" }));
    expect(readBatch({ X: [[1, 2], [3, 4]], y: [1, 2] }).rows).toBe(2);
  });
});
