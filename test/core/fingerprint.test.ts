import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { setSimdEnabled } from "../../src/core/wasm/load.js";
import { fingerprint } from "../../src/index.js";

/** The fingerprint as first written (pure JS): stored lineage holds its values, so they must never change. */
function referenceFingerprint(values: Float64Array, previous = "0000000000000000"): string {
  let a1 = parseInt(previous.slice(0, 8), 16) | 0;
  let a2 = parseInt(previous.slice(8, 16), 16) | 0;
  let b1 = a1 ^ 0x27d4eb2f;
  let b2 = a2;
  let c1 = a1 ^ 0x165667b1;
  let c2 = a2;
  let d1 = a1 ^ 0x61c88647;
  let d2 = a2;
  const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  const n = words.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    a1 = (a1 + words[i]! + 0x9e3779b9) | 0;
    a2 = (a2 + a1) | 0;
    b1 = (b1 + words[i + 1]! + 0x9e3779b9) | 0;
    b2 = (b2 + b1) | 0;
    c1 = (c1 + words[i + 2]! + 0x9e3779b9) | 0;
    c2 = (c2 + c1) | 0;
    d1 = (d1 + words[i + 3]! + 0x9e3779b9) | 0;
    d2 = (d2 + d1) | 0;
  }
  for (; i < n; i++) {
    a1 = (a1 + words[i]! + 0x9e3779b9) | 0;
    a2 = (a2 + a1) | 0;
  }
  let s1 = Math.imul(a1 ^ Math.imul(b1, 3) ^ Math.imul(c1, 5) ^ Math.imul(d1, 7), 0x9e3779b1) ^ n;
  let s2 = Math.imul(a2 ^ Math.imul(b2, 3) ^ Math.imul(c2, 5) ^ Math.imul(d2, 7), 0x85ebca77);
  s1 = Math.imul(s1 ^ (s2 >>> 15), 0x85ebca6b);
  s2 = Math.imul(s2 ^ (s1 >>> 13), 0xc2b2ae35);
  return (s1 >>> 0).toString(16).padStart(8, "0") + (s2 >>> 0).toString(16).padStart(8, "0");
}

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

  it("keeps its stored values: fixed inputs give the fingerprints recorded before the WebAssembly kernel", () => {
    const ramp = Float64Array.from({ length: 1000 }, (_, i) => i / 7 - 3);
    expect(fingerprint(new Float64Array(0))).toBe(referenceFingerprint(new Float64Array(0)));
    expect(fingerprint(ramp)).toBe("445c5adec214a55e");
    expect(fingerprint(ramp.subarray(1, 1000), "0123456789abcdef")).toBe(referenceFingerprint(ramp.subarray(1, 1000), "0123456789abcdef"));
  });

  for (const simd of [true, false]) {
    it(`equals the original JS loop for any data, length, offset and chain (${simd ? "WebAssembly SIMD" : "JS"}; property)`, () => {
      setSimdEnabled(simd);
      try {
        fc.assert(
          fc.property(
            fc.integer({ min: 0, max: 3000 }),
            fc.integer({ min: 0, max: 3 }),
            fc.integer(),
            fc.oneof(fc.constant("0000000000000000"), fc.stringMatching(/^[0-9a-f]{16}$/)),
            (n, offset, seed, previous) => {
              let s = seed | 0;
              const all = Float64Array.from({ length: n + offset }, () => {
                s = (Math.imul(s, 1103515245) + 12345) | 0;
                return (s % 3 === 0 ? s : s / 977) * (s & 4 ? 1e-200 : 1);
              });
              const v = all.subarray(offset);
              expect(fingerprint(v, previous)).toBe(referenceFingerprint(v, previous));
            },
          ),
          { numRuns: 300, seed: simd ? 31 : 32 },
        );
      } finally {
        setSimdEnabled(true);
      }
    });
  }

  it("equals the original JS loop across WebAssembly chunks (more than 65,536 values)", () => {
    for (const n of [65_536, 65_537, 150_001]) {
      const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3);
      expect(fingerprint(v, "fedcba9876543210")).toBe(referenceFingerprint(v, "fedcba9876543210"));
    }
  });
});
