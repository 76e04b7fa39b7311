import { z } from "zod";
import { checkParam } from "../core/errors.js";
import { checkValue, detectorJSON, openDetector } from "./common.js";
import type { DetectorJSON, DriftDetector } from "./detector.js";

// Bucket sizes by level; a table lookup, not a power, in the hot loop.
const SIZES = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);

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
  // Level k holds up to maxBuckets + 1 buckets of 2^k values in a ring (oldest at start[k]):
  // typed arrays, so an update allocates nothing.
  private cap: number;
  private totals: Float64Array;
  private m2s: Float64Array;
  private start = new Int32Array(64);
  private count = new Int32Array(64);
  private nLevels = 0;

  constructor(params: Partial<ADWINParams> = {}) {
    const { delta = 0.002, clock = 32, maxBuckets = 5, minWindowLength = 5, gracePeriod = 10 } = params;
    checkParam(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
    checkParam(Number.isInteger(clock) && clock > 0, "clock", "a positive integer", clock);
    checkParam(Number.isInteger(maxBuckets) && maxBuckets >= 2, "maxBuckets", "an integer ≥ 2", maxBuckets);
    checkParam(Number.isInteger(minWindowLength) && minWindowLength > 0, "minWindowLength", "a positive integer", minWindowLength);
    checkParam(Number.isInteger(gracePeriod) && gracePeriod >= 0, "gracePeriod", "an integer ≥ 0", gracePeriod);
    this.params = Object.freeze({ delta, clock, maxBuckets, minWindowLength, gracePeriod });
    this.cap = maxBuckets + 1;
    this.totals = new Float64Array(64 * this.cap);
    this.m2s = new Float64Array(64 * this.cap);
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
    this.start.fill(0);
    this.count.fill(0);
    this.nLevels = 0;
  }

  toJSON(): DetectorJSON {
    return detectorJSON(this.kind, this.params, {
      width: this.width,
      total: this.total,
      m2: this.m2,
      tick: this.tick,
      drift: this.drift,
      levels: this.levelsJSON(),
    });
  }

  /** Restores from {@link ADWIN.toJSON}. */
  static fromJSON(json: unknown): ADWIN {
    const { params, state } = openDetector(json, "ADWIN", paramsSchema, stateSchema);
    const d = new ADWIN(params);
    Object.assign(d, { width: state.width, total: state.total, m2: state.m2, tick: state.tick, drift: state.drift });
    state.levels.forEach((l, k) => l.totals.forEach((t, i) => d.push(k, t, l.m2s[i] ?? 0)));
    return d;
  }

  /** Buckets per level, oldest first (the JSON form). */
  private levelsJSON(): Array<{ totals: number[]; m2s: number[] }> {
    const out: Array<{ totals: number[]; m2s: number[] }> = [];
    for (let k = 0; k < this.nLevels; k++) {
      const totals: number[] = [];
      const m2s: number[] = [];
      for (let i = 0; i < this.count[k]!; i++) {
        const q = k * this.cap + ((this.start[k]! + i) % this.cap);
        totals.push(this.totals[q]!);
        m2s.push(this.m2s[q]!);
      }
      out.push({ totals, m2s });
    }
    return out;
  }

  /** Appends a bucket as the newest of its level. */
  private push(level: number, total: number, m2: number): void {
    const q = level * this.cap + ((this.start[level]! + this.count[level]!) % this.cap);
    this.totals[q] = total;
    this.m2s[q] = m2;
    this.count[level]!++;
    if (level >= this.nLevels) this.nLevels = level + 1;
  }

  /** Adds a bucket of 2^level values as the newest at its level, merging the two oldest when there are too many. */
  private insertBucket(level: number, total: number, m2: number): void {
    for (;;) {
      this.push(level, total, m2);
      if (this.count[level]! <= this.params.maxBuckets) return;
      const base = level * this.cap;
      const i0 = base + this.start[level]!;
      const i1 = base + ((this.start[level]! + 1) % this.cap);
      const n = SIZES[level]!;
      const t0 = this.totals[i0]!;
      const t1 = this.totals[i1]!;
      // Chan's merge of two equal-count buckets.
      total = t0 + t1;
      m2 = this.m2s[i0]! + this.m2s[i1]! + (n / 2) * (t0 / n - t1 / n) ** 2;
      this.start[level] = (this.start[level]! + 2) % this.cap;
      this.count[level]! -= 2;
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
      scan: for (let k = this.nLevels - 1; k >= 0; k--) {
        const base = k * this.cap;
        for (let i = 0; i < this.count[k]!; i++) {
          n0 += SIZES[k]!;
          t0 += this.totals[base + ((this.start[k]! + i) % this.cap)]!;
          const n1 = this.width - n0;
          if (n1 < minWindowLength) break scan;
          if (n0 < minWindowLength) continue;
          const diff = Math.abs(t0 / n0 - (this.total - t0) / n1);
          const mRecip = 1 / (n0 - minWindowLength + 1) + 1 / (n1 - minWindowLength + 1);
          // Cut when diff > √(2·m·σ²·δ') + ⅔·δ'·m; compared without the square root.
          const over = diff - (2 / 3) * deltaPrime * mRecip;
          if (over > 0 && over * over > 2 * mRecip * variance * deltaPrime) {
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
    let k = this.nLevels - 1;
    while (k >= 0 && this.count[k] === 0) k--;
    if (k < 0) return;
    const q = k * this.cap + this.start[k]!;
    const n = SIZES[k]!;
    const t = this.totals[q]!;
    const v = this.m2s[q]!;
    this.start[k] = (this.start[k]! + 1) % this.cap;
    this.count[k]!--;
    const rest = this.width - n;
    if (rest > 0) {
      const dm = t / n - (this.total - t) / rest;
      this.m2 = Math.max(0, this.m2 - v - ((n * rest) / this.width) * dm * dm);
    } else this.m2 = 0;
    this.total -= t;
    this.width = rest;
    while (this.nLevels > 0 && this.count[this.nLevels - 1] === 0) this.nLevels--;
  }
}
