import { SeededRandom } from "../core/random.js";

/** A seeded synthetic stream for exercising drift detectors. */
export interface SyntheticStream {
  /** The values, in order. */
  values: Float64Array;
  /** Index of the first changed value, or -1 for a stationary stream. */
  changeAt: number;
}

/**
 * Seeded streams with a known change, for tests and benchmarks of drift
 * detectors: `abrupt` (the mean jumps at `changeAt`), `gradual` (it moves
 * linearly over `width` values from `changeAt`) and `stationary`. Values are
 * Gaussian (`noise` standard deviation) or, with `bernoulli: true`, 0/1 draws
 * with the mean as probability — an error stream.
 *
 * @example
 * ```ts
 * import { driftStream } from "freshml";
 * const s = driftStream({ kind: "abrupt", length: 4000, changeAt: 2000, from: 0.1, to: 0.5, bernoulli: true, seed: 1 });
 * // s.values[i] is 0 or 1; errors jump from 10% to 50% at 2000
 * ```
 */
export function driftStream(options: {
  kind: "abrupt" | "gradual" | "stationary";
  length: number;
  changeAt?: number;
  width?: number;
  from?: number;
  to?: number;
  noise?: number;
  bernoulli?: boolean;
  seed?: number;
}): SyntheticStream {
  const { kind, length, changeAt = Math.floor(length / 2), width = 500, from = 0, to = 1, noise = 0.3, bernoulli = false, seed = 1 } = options;
  const rng = new SeededRandom(seed);
  const values = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    let mean = from;
    if (kind === "abrupt" && i >= changeAt) mean = to;
    if (kind === "gradual" && i >= changeAt) mean = from + (to - from) * Math.min(1, (i - changeAt + 1) / width);
    values[i] = bernoulli ? (rng.next() < mean ? 1 : 0) : mean + noise * rng.nextGaussian();
  }
  return { values, changeAt: kind === "stationary" ? -1 : changeAt };
}
