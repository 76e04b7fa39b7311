import { describe, expect, it } from "vitest";
import { fingerprint } from "../../src/index.js";

describe("fingerprint", () => {
  it("changes with any value, with the order, and chains batches", () => {
    const base = Float64Array.from({ length: 101 }, (_, i) => i / 7);
    const fp = fingerprint(base);
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint(base.slice())).toBe(fp);
    for (const k of [0, 1, 50, 99, 100]) {
      const c = base.slice();
      c[k] = c[k]! + 1e-12;
      expect(fingerprint(c)).not.toBe(fp);
    }
    const swapped = base.slice();
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    expect(fingerprint(swapped)).not.toBe(fp);
    expect(fingerprint(base, fp)).not.toBe(fingerprint(base));
    expect(fingerprint(base.subarray(0, 100))).not.toBe(fp);
  });
});
