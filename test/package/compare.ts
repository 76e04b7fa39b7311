import { expect } from "vitest";

/** The result of consumers/scenario.mjs. */
export interface ScenarioResult {
  lrPredictions: string[];
  pipeline: { batches: unknown; rows: unknown; championVersion: number | null; promotions: unknown; fingerprint: string; served: string[] };
}

const fromBits = (hex: string): number => {
  const v = new DataView(new ArrayBuffer(8));
  v.setBigUint64(0, BigInt(`0x${hex}`));
  return v.getFloat64(0);
};

/**
 * WebAssembly SIMD against the JS fallback: everything discrete is equal, and the
 * floats agree to `rel`. (LinearRegression's XᵀX kernel, syrk, sums in another
 * order in WebAssembly — src/core/wasm/syrk.ts says so — so predictions can differ
 * in the last bits between the two paths; each path is deterministic.)
 */
export function expectSameAnswers(a: ScenarioResult, b: ScenarioResult, rel = 1e-12): void {
  const { served: sa, ...restA } = a.pipeline;
  const { served: sb, ...restB } = b.pipeline;
  expect(restB).toEqual(restA);
  for (const [xs, ys] of [
    [a.lrPredictions, b.lrPredictions],
    [sa, sb],
  ] as const) {
    expect(ys).toHaveLength(xs.length);
    xs.forEach((x, i) => {
      const u = fromBits(x);
      const v = fromBits(ys[i]!);
      expect(Math.abs(u - v)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(u)));
    });
  }
}
