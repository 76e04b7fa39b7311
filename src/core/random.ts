import { FreshmlError } from "./errors.js";

/**
 * A small seeded pseudo-random generator (mulberry32). Its whole state is one
 * 32-bit integer, so it is saved with a model and restored exactly: the same
 * seed and data always give the same result.
 *
 * @example
 * ```ts
 * import { SeededRandom } from "freshml";
 * const a = new SeededRandom(42), b = new SeededRandom(42);
 * a.next() === b.next(); // true
 * ```
 */
export class SeededRandom {
  private s: number;

  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new FreshmlError("invalid_params", `seed must be a finite number, got ${seed}`);
    this.s = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller; uses two uniforms per call, keeps no spare, so state stays one integer). */
  nextGaussian(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `order[0..n)` in place (Fisher–Yates). */
  shuffle(order: Uint32Array | number[], n = order.length): void {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = order[i]!;
      order[i] = order[j]!;
      order[j] = tmp;
    }
  }

  /** The generator's state, to save. */
  get state(): number {
    return this.s >>> 0;
  }

  /** Restores a state from {@link SeededRandom.state}. */
  static fromState(state: number): SeededRandom {
    const r = new SeededRandom(0);
    r.s = state >>> 0;
    return r;
  }
}
