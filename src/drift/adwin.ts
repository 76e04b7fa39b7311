import { z } from "zod";
import { checkParam } from "../core/errors.js";
import { checkValue, detectorJSON, openDetector } from "./common.js";
import type { DetectorJSON, DriftDetector } from "./detector.js";

/** Parameters of {@link ADWIN} (River's defaults). */
export interface ADWINParams {
  /** Confidence: smaller means fewer false alarms and later detection. Default 0.002. */
  delta: number;
  /** Look for a change every this many values. Default 32. */
  clock: number;
  /** Buckets per size before two are merged (memory and precision). Default 5. */
  maxBuckets: number;
  /** Each side of a cut needs at least this many values. Default 5. */
  minWindowLength: number;
  /** No checks before the window holds this many values. Default 10. */
  gracePeriod: number;
}

const paramsSchema = z.object({
  delta: z.number().gt(0).lt(1),
  clock: z.number().int().positive(),
  maxBuckets: z.number().int().min(2),
  minWindowLength: z.number().int().positive(),
  gracePeriod: z.number().int().nonnegative(),
});
const stateSchema = z.object({
  width: z.number().int().nonnegative(),
  total: z.number(),
  m2: z.number(),
  tick: z.number().int().nonnegative(),
  drift: z.boolean(),
  levels: z.array(z.object({ totals: z.array(z.number()), m2s: z.array(z.number()) })),
});

/**
 * ADWIN (Bifet & Gavaldà, 2007): an adaptive window that drops its older part
 * whenever the means of the two parts differ by more than a Hoeffding-style
 * bound at confidence `delta`. The window is an exponential histogram of
 * buckets (counts 1, 2, 4, …, at most `maxBuckets` of each), so memory is
 * O(log W) and each update O(1) amortised, plus a scan of O(log W) cut points
 * every `clock` values. `width` is the current window length; after a drift it
 * holds only the recent values.
 *
 * @example
 * ```ts
 * import { ADWIN } from "freshml";
 * const adwin = new ADWIN();
 * let detectedAt = -1;
 * for (let i = 0; i < 4000 && detectedAt < 0; i++) {
 *   adwin.update(i < 2000 ? 0.2 : 0.8);
 *   if (adwin.driftDetected) detectedAt = i; // a little after 2000
 * }
 * ```
 */
export class ADWIN implements DriftDetector {
  readonly kind = "ADWIN";
  /** Construction parameters, defaults filled in. */
  readonly params: Readonly<ADWINParams>;
  private width = 0;
  private total = 0;
  private m2 = 0;
  private tick = 0;
  private drift = false;
  /** levels[k] holds buckets of 2^k values, oldest first. */
  private levels: Array<{ totals: number[]; m2s: number[] }> = [];

  constructor(params: Partial<ADWINParams> = {}) {
    const { delta = 0.002, clock = 32, maxBuckets = 5, minWindowLength = 5, gracePeriod = 10 } = params;
    checkParam(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
    checkParam(Number.isInteger(clock) && clock > 0, "clock", "a positive integer", clock);
    checkParam(Number.isInteger(maxBuckets) && maxBuckets >= 2, "maxBuckets", "an integer ≥ 2", maxBuckets);
    checkParam(Number.isInteger(minWindowLength) && minWindowLength > 0, "minWindowLength", "a positive integer", minWindowLength);
    checkParam(Number.isInteger(gracePeriod) && gracePeriod >= 0, "gracePeriod", "an integer ≥ 0", gracePeriod);
    this.params = Object.freeze({ delta, clock, maxBuckets, minWindowLength, gracePeriod });
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  get warningDetected(): boolean {
    return false;
  }

  /** Values in the current window. */
  get nSeen(): number {
    return this.width;
  }

  /** Mean of the current window. */
  get estimation(): number {
    return this.width > 0 ? this.total / this.width : 0;
  }

  update(x: number): void {
    checkValue(x, this.kind);
    this.drift = false;
    // Welford for the whole window.
    if (this.width > 0) {
      const mean = this.total / this.width;
      this.m2 += (this.width / (this.width + 1)) * (x - mean) ** 2;
    }
    this.total += x;
    this.width++;
    this.insertBucket(0, x, 0);
    this.tick++;
    if (this.tick % this.params.clock === 0 && this.width > this.params.gracePeriod) this.detect();
  }

  reset(): void {
    this.width = 0;
    this.total = 0;
    this.m2 = 0;
    this.tick = 0;
    this.drift = false;
    this.levels = [];
  }

  toJSON(): DetectorJSON {
    return detectorJSON(this.kind, this.params, {
      width: this.width,
      total: this.total,
      m2: this.m2,
      tick: this.tick,
      drift: this.drift,
      levels: this.levels,
    });
  }

  /** Restores from {@link ADWIN.toJSON}. */
  static fromJSON(json: unknown): ADWIN {
    const { params, state } = openDetector(json, "ADWIN", paramsSchema, stateSchema);
    const d = new ADWIN(params);
    Object.assign(d, { width: state.width, total: state.total, m2: state.m2, tick: state.tick, drift: state.drift });
    d.levels = state.levels.map((l) => ({ totals: [...l.totals], m2s: [...l.m2s] }));
    return d;
  }

  /** Adds a bucket of 2^level values as the newest at its level, merging the two oldest when there are too many. */
  private insertBucket(level: number, total: number, m2: number): void {
    for (;;) {
      if (this.levels.length <= level) this.levels.push({ totals: [], m2s: [] });
      const l = this.levels[level]!;
      l.totals.push(total);
      l.m2s.push(m2);
      if (l.totals.length <= this.params.maxBuckets) return;
      const n = 2 ** level;
      const t0 = l.totals.shift()!;
      const t1 = l.totals.shift()!;
      const v0 = l.m2s.shift()!;
      const v1 = l.m2s.shift()!;
      // Chan's merge of two equal-count buckets.
      total = t0 + t1;
      m2 = v0 + v1 + (n / 2) * (t0 / n - t1 / n) ** 2;
      level++;
    }
  }

  /** Drops the oldest part of the window while some cut shows a change. */
  private detect(): void {
    const { minWindowLength, delta } = this.params;
    for (let changed = true; changed && this.width > 2 * minWindowLength; ) {
      changed = false;
      let n0 = 0;
      let t0 = 0;
      const deltaPrime = Math.log((2 * Math.log(this.width)) / delta);
      const variance = this.m2 / this.width;
      // Oldest first: the highest level, then towards the newest buckets.
      scan: for (let k = this.levels.length - 1; k >= 0; k--) {
        const l = this.levels[k]!;
        for (let i = 0; i < l.totals.length; i++) {
          n0 += 2 ** k;
          t0 += l.totals[i]!;
          const n1 = this.width - n0;
          if (n1 < minWindowLength) break scan;
          if (n0 < minWindowLength) continue;
          const diff = t0 / n0 - (this.total - t0) / n1;
          const mRecip = 1 / (n0 - minWindowLength + 1) + 1 / (n1 - minWindowLength + 1);
          const eps = Math.sqrt(2 * mRecip * variance * deltaPrime) + (2 / 3) * deltaPrime * mRecip;
          if (Math.abs(diff) > eps) {
            this.drift = true;
            this.dropOldest();
            changed = true;
            break scan;
          }
        }
      }
    }
  }

  private dropOldest(): void {
    let k = this.levels.length - 1;
    while (k >= 0 && this.levels[k]!.totals.length === 0) k--;
    if (k < 0) return;
    const l = this.levels[k]!;
    const n = 2 ** k;
    const t = l.totals.shift()!;
    const v = l.m2s.shift()!;
    const rest = this.width - n;
    if (rest > 0) {
      const dm = t / n - (this.total - t) / rest;
      this.m2 = Math.max(0, this.m2 - v - ((n * rest) / this.width) * dm * dm);
    } else this.m2 = 0;
    this.total -= t;
    this.width = rest;
    while (this.levels.length > 0 && this.levels[this.levels.length - 1]!.totals.length === 0) this.levels.pop();
  }
}
