import * as z from "zod";
import { checkParam } from "../core/errors.js";
import { badDetectorState, checkValue, clampValue, detectorJSON, openDetector } from "./common.js";
import type { DetectorJSON, DriftDetector } from "./detector.js";

/** Parameters of {@link PageHinkley} (River's defaults). */
export interface PageHinkleyParams {
  /** No alarm before this many values. Default 30. */
  minInstances: number;
  /** Tolerated change per value. Default 0.005. */
  delta: number;
  /** Alarm when the cumulative deviation exceeds this. Default 50. */
  threshold: number;
  /** Fading factor of the cumulative sums. Default 1 − 0.0001. */
  alpha: number;
  /** Watch for increases, decreases or both. Default "both". */
  mode: "up" | "down" | "both";
}

const paramsSchema = z.object({
  minInstances: z.number().int().nonnegative(),
  delta: z.number().nonnegative(),
  threshold: z.number().positive(),
  alpha: z.number().gt(0).max(1),
  mode: z.enum(["up", "down", "both"]),
});
const stateSchema = z.object({
  n: z.number().int().nonnegative(),
  mean: z.number(),
  sumUp: z.number(),
  minUp: z.number(),
  sumDown: z.number(),
  maxDown: z.number(),
  drift: z.boolean(),
});
type State = z.infer<typeof stateSchema>;

/**
 * Page–Hinkley test: cumulative deviation of each value from the running
 * mean (less `delta`), faded by `alpha`; a drift when it rises `threshold`
 * above its running minimum (or, for decreases, falls below its maximum).
 * O(1) per value. Finite values beyond ±1e100 are
 * clamped to it, so the running sums stay finite; NaN and ±Infinity throw
 * `non_finite`.
 *
 * @example
 * ```ts
 * import { PageHinkley } from "freshml";
 * const ph = new PageHinkley({ threshold: 20 });
 * for (let i = 0; i < 100; i++) ph.update(i < 50 ? 0 : 3);
 * ph.nSeen; // restarts after each detected drift
 * ```
 */
export class PageHinkley implements DriftDetector {
  readonly kind = "PageHinkley";
  /** Construction parameters, defaults filled in. */
  readonly params: Readonly<PageHinkleyParams>;
  private s: State = fresh();

  constructor(params: Partial<PageHinkleyParams> = {}) {
    const { minInstances = 30, delta = 0.005, threshold = 50, alpha = 1 - 0.0001, mode = "both" } = params;
    checkParam(Number.isInteger(minInstances) && minInstances >= 0, "minInstances", "an integer ≥ 0", minInstances);
    checkParam(delta >= 0, "delta", "≥ 0", delta);
    checkParam(threshold > 0, "threshold", "> 0", threshold);
    checkParam(alpha > 0 && alpha <= 1, "alpha", "in (0, 1]", alpha);
    checkParam(["up", "down", "both"].includes(mode), "mode", "up, down or both", mode);
    this.params = Object.freeze({ minInstances, delta, threshold, alpha, mode });
  }

  get driftDetected(): boolean {
    return this.s.drift;
  }

  get warningDetected(): boolean {
    return false;
  }

  get nSeen(): number {
    return this.s.n;
  }

  update(value: number): void {
    checkValue(value, this.kind);
    const x = clampValue(value);
    if (this.s.drift) this.s = fresh();
    const s = this.s;
    const { alpha, delta, threshold, minInstances, mode } = this.params;
    s.n++;
    s.mean += (x - s.mean) / s.n;
    const dev = x - s.mean;
    s.sumUp = alpha * s.sumUp + dev - delta;
    s.minUp = Math.min(s.minUp, s.sumUp);
    s.sumDown = alpha * s.sumDown + dev + delta;
    s.maxDown = Math.max(s.maxDown, s.sumDown);
    if (s.n < minInstances) return;
    const up = mode !== "down" && s.sumUp - s.minUp > threshold;
    const down = mode !== "up" && s.maxDown - s.sumDown > threshold;
    s.drift = up || down;
  }

  /**
   * Adds every value in order, as {@link PageHinkley.update} on each (the same
   * state, the same drift points); returns the index of the first value after
   * which a drift was detected, or −1. A NaN or ±Infinity throws `non_finite`,
   * with the values before it added.
   */
  updateMany(values: ArrayLike<number>): number {
    let first = -1;
    for (let i = 0; i < values.length; i++) {
      this.update(values[i]!);
      if (first < 0 && this.s.drift) first = i;
    }
    return first;
  }

  reset(): void {
    this.s = fresh();
  }

  toJSON(): DetectorJSON {
    return detectorJSON(this.kind, this.params, this.s);
  }

  /** Restores from {@link PageHinkley.toJSON}. */
  static fromJSON(json: unknown): PageHinkley {
    const { params, state } = openDetector(json, "PageHinkley", paramsSchema, stateSchema);
    // The running minimum of sumUp never exceeds it, nor the maximum of sumDown falls below it.
    if (state.minUp > state.sumUp) throw badDetectorState("PageHinkley", "minUp", "exceeds sumUp", state.minUp);
    if (state.maxDown < state.sumDown) throw badDetectorState("PageHinkley", "maxDown", "is below sumDown", state.maxDown);
    const d = new PageHinkley(params);
    d.s = { ...state };
    return d;
  }
}

function fresh(): State {
  return { n: 0, mean: 0, sumUp: 0, minUp: 0, sumDown: 0, maxDown: 0, drift: false };
}
