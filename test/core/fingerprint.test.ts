import fc from "fast-check";
import { readFileSync } from "node:fs";
import xxhash from "xxhash-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { setSimdEnabled } from "../../src/core/wasm/load.js";
import { fingerprint, kernelInfo } from "../../src/index.js";

interface FixtureCase {
  name: string;
  values?: number[];
  ramp?: number;
  changes?: Array<[number, number]>;
  previous?: string;
  fingerprint: string;
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/fingerprint.json", import.meta.url), "utf8")) as { cases: FixtureCase[] };

function input(c: FixtureCase): Float64Array {
  const v = c.values ? Float64Array.from(c.values) : Float64Array.from({ length: c.ramp! }, (_, i) => i / 7 - 3);
  for (const [i, d] of c.changes ?? []) v[i] = v[i]! + d;
  return v;
}

/** The fingerprint's definition, on an independent XXH32 (xxhash-wasm: the xxHash C code). */
let reference: (values: Float64Array, previous?: string) => string;
beforeAll(async () => {
  const { h32Raw } = await xxhash();
  reference = (values, previous = "0000000000000000") => {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const a = parseInt(previous.slice(0, 8), 16) >>> 0;
    const b = (parseInt(previous.slice(8, 16), 16) ^ 0x7f4a7c15) >>> 0;
    return h32Raw(bytes, a).toString(16).padStart(8, "0") + h32Raw(bytes, b).toString(16).padStart(8, "0");
  };
});

function bothPaths(f: () => void): void {
  for (const simd of [true, false]) {
    setSimdEnabled(simd);
    try {
      f();
    } finally {
      setSimdEnabled(true);
    }
  }
}

describe("fingerprint", () => {
  it("keeps its stored values: the committed fixtures, on both kernel paths", () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(9);
    bothPaths(() => {
      for (const c of fixture.cases) expect(fingerprint(input(c), c.previous), c.name).toBe(c.fingerprint);
    });
  });

  it("does not collide on the cases a linear checksum did (issue 12)", () => {
    expect(fingerprint(new Float64Array([1, 0, 1, 0, 1, 0]))).not.toBe(fingerprint(new Float64Array([2, 0, 0.25, 0, 2, 0])));
    const base = Float64Array.from({ length: 1000 }, (_, i) => i / 7 - 3);
    const fp = fingerprint(base);
    // Any three values changed at the sixth decimal, in many placements and signs.
    const seen = new Set([fp]);
    let s = 12345;
    for (let t = 0; t < 2000; t++) {
      const c = base.slice();
      for (let j = 0; j < 3; j++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        c[s % 1000] = c[s % 1000]! + (s & 1 ? 1e-6 : -1e-6);
      }
      seen.add(fingerprint(c));
    }
    expect(seen.size).toBe(2001);
  });

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
    // 0 and -0 differ in their bytes, and so in the fingerprint.
    expect(fingerprint(new Float64Array([0]))).not.toBe(fingerprint(new Float64Array([-0])));
  });

  it("is two XXH32 hashes of the little-endian bytes, for any data, length, offset and chain, on both paths (property)", () => {
    bothPaths(() =>
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
            expect(fingerprint(v, previous)).toBe(reference(v, previous));
          },
        ),
        { numRuns: 200, seed: 31 },
      ),
    );
  });

  it("equals the reference across WebAssembly chunks (more than 65,536 values)", () => {
    expect(kernelInfo().kernels.fingerprint).toBe("wasm-simd");
    for (const n of [65_536, 65_537, 131_074, 150_001]) {
      const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3);
      expect(fingerprint(v, "fedcba9876543210")).toBe(reference(v, "fedcba9876543210"));
    }
  });
});

describe("kernelInfo", () => {
  it("reports each kernel's path and follows setSimdEnabled", () => {
    const on = kernelInfo();
    expect(on.webAssembly).toBe(true);
    expect(on.simdEnabled).toBe(true);
    expect(Object.keys(on.kernels).sort()).toEqual(["adwin", "fingerprint", "gemv", "moments", "sgd", "syrk"]);
    for (const path of Object.values(on.kernels)) expect(path).toBe("wasm-simd");
    setSimdEnabled(false);
    try {
      const off = kernelInfo();
      expect(off.simdEnabled).toBe(false);
      for (const path of Object.values(off.kernels)) expect(path).toBe("js");
    } finally {
      setSimdEnabled(true);
    }
  });
});
