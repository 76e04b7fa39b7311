import * as z from "zod";
import { checkParam } from "../core/errors.js";
import { allFiniteFast } from "../core/kernels.js";
import { adwinKernel, type AdwinState } from "../core/wasm/adwin.js";
import { DETECTOR_VALUE_LIMIT, badDetectorState, checkValue, clampValue, detectorJSON, openDetector } from "./common.js";
import type { DetectorJSON, DriftDetector } from "./detector.js";

// Bucket sizes by level, their halves and reciprocals: table lookups in the hot loop.
// Dividing by a power of two and multiplying by its reciprocal round the same
// exact value, so `t * INV[k]` is bit for bit `t / 2^k`.
const SIZES = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);
const HALVES = Float64Array.from({ length: 64 }, (_, k) => 2 ** k / 2);
const INV = Float64Array.from({ length: 64 }, (_, k) => 2 ** -k);
// Below this many values updateMany stays in JS: copying the state in and out would cost more.
const KERNEL_MIN = 64;

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

/** Throws `invalid_state` naming the field when a restored ADWIN state is inconsistent. */
function checkAdwinState(state: z.infer<typeof stateSchema>, maxBuckets: number): void {
  const bad = (field: string, why: string, observed?: unknown): never => {
    throw badDetectorState("ADWIN", field, why, observed);
  };
  if (state.levels.length > 64) bad("levels", "has more than 64 levels", state.levels.length);
  let held = 0;
  let sum = 0;
  let sumAbs = 0;
  state.levels.forEach((l, k) => {
    if (l.totals.length !== l.m2s.length) bad(`levels[${k}].m2s`, `has ${l.m2s.length} entries for ${l.totals.length} buckets`);
    if (l.totals.length > maxBuckets) bad(`levels[${k}].totals`, `holds ${l.totals.length} buckets, more than maxBuckets (${maxBuckets})`);
    l.m2s.forEach((v, i) => {
      if (v < 0) bad(`levels[${k}].m2s[${i}]`, "is negative", v);
    });
    for (const t of l.totals) {
      sum += t;
      sumAbs += Math.abs(t);
    }
    held += l.totals.length * 2 ** k;
  });
  if (state.width > Number.MAX_SAFE_INTEGER) bad("width", "is beyond 2^53", state.width);
  if (state.width !== held) bad("width", `is ${state.width} but the buckets hold ${held} values`, state.width);
  if (state.width > state.tick) bad("width", `is ${state.width}, more than the ${state.tick} values seen (tick)`, state.width);
  if (state.m2 < 0) bad("m2", "is negative", state.m2);
  // The running total and the bucket totals add the same values in different orders: they agree
  // to a rounding error bounded by the values' magnitude, which the window's m2 bounds.
  const scale = sumAbs + Math.abs(state.total) + Math.sqrt(state.width * state.m2);
  const tol = (1e-6 + state.width * 2.3e-16) * scale + 1e-300;
  if (!(Math.abs(state.total - sum) <= tol)) bad("total", `is ${state.total} but the bucket totals add up to ${sum}`, state.total);
}

/**
 * ADWIN (Bifet & Gavaldà, 2007): an adaptive window that drops its older part
 * whenever the means of the two parts differ by more than a Hoeffding-style
 * bound at confidence `delta`. The window is an exponential histogram of
 * buckets (counts 1, 2, 4, …, at most `maxBuckets` of each), so memory is
 * O(log W) and each update O(1) amortised, plus a scan of O(log W) cut points
 * every `clock` values. `width` is the current window length; after a drift it
 * holds only the recent values.
 *
 * For many values at once, {@link ADWIN.updateMany} gives the same results
 * several times faster (the loop runs in WebAssembly where available).
 *
 * Finite values beyond ±1e100 are clamped to
 * it, so the window's sums and variance stay finite however large the errors
 * fed to it; NaN and ±Infinity throw `non_finite`.
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
  private tick = 0;
  private drift = false;
  // The window's statistics and the exponential histogram: level k holds up to maxBuckets + 1
  // buckets of 2^k values in a ring (oldest at start[k]), in typed arrays, so an update allocates
  // nothing. `untilCheck` (clock − tick mod clock) spares the loop a modulo.
  private readonly s: AdwinState;
  private readonly cap: number;
  private readonly one = new Float64Array(1);

  constructor(params: Partial<ADWINParams> = {}) {
    const { delta = 0.002, clock = 32, maxBuckets = 5, minWindowLength = 5, gracePeriod = 10 } = params;
    checkParam(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
    checkParam(Number.isInteger(clock) && clock > 0, "clock", "a positive integer", clock);
    checkParam(Number.isInteger(maxBuckets) && maxBuckets >= 2, "maxBuckets", "an integer ≥ 2", maxBuckets);
    checkParam(Number.isInteger(minWindowLength) && minWindowLength > 0, "minWindowLength", "a positive integer", minWindowLength);
    checkParam(Number.isInteger(gracePeriod) && gracePeriod >= 0, "gracePeriod", "an integer ≥ 0", gracePeriod);
    this.params = Object.freeze({ delta, clock, maxBuckets, minWindowLength, gracePeriod });
    this.cap = maxBuckets + 1;
    this.s = {
      width: 0,
      total: 0,
      m2: 0,
      untilCheck: clock,
      nLevels: 0,
      start: new Int32Array(64),
      count: new Int32Array(64),
      totals: new Float64Array(64 * this.cap),
      m2s: new Float64Array(64 * this.cap),
    };
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  get warningDetected(): boolean {
    return false;
  }

  /** Values in the current window. */
  get nSeen(): number {
    return this.s.width;
  }

  /** Mean of the current window. */
  get estimation(): number {
    return this.s.width > 0 ? this.s.total / this.s.width : 0;
  }

  update(x: number): void {
    if (typeof x !== "number" || x - x !== 0) checkValue(x, this.kind);
    this.one[0] = clampValue(x);
    this.feed(this.one, 1);
  }

  /**
   * Adds every value in order, exactly as calling {@link ADWIN.update} on each
   * would (the same state, the same drift points, to the bit), several times
   * faster, and returns the index of the first value after which a drift was
   * detected, or −1 if there was none. Afterwards `driftDetected` describes
   * the last value, as after `update`. A NaN or ±Infinity (or a non-number)
   * throws `non_finite`, with the values before it added. Finite values beyond
   * ±1e100 are clamped to it, as in `update`.
   *
   * @example
   * ```ts
   * import { ADWIN } from "freshml";
   * const adwin = new ADWIN();
   * const errors = Float64Array.from({ length: 4000 }, (_, i) => (i < 2000 ? 0.2 : 0.8));
   * adwin.updateMany(errors); // the index of the first alarm, a little after 2000
   * ```
   */
  updateMany(values: ArrayLike<number>): number {
    const n = values.length;
    const kernel = n >= KERNEL_MIN ? adwinKernel() : null;
    if (!kernel) return this.feed(values, n);
    // Copy into the kernel's memory, stopping at a NaN, ±Infinity or non-number, and clamping
    // finite values to ±DETECTOR_VALUE_LIMIT exactly as the JS loop does.
    const buf = kernel.values(n, this.cap);
    let m = n;
    if (values instanceof Float64Array) {
      buf.set(values);
      if (!allFiniteFast(buf)) {
        m = 0;
        while (buf[m]! - buf[m]! === 0) m++;
      }
      for (let i = 0; i < m; i++) {
        const x = buf[i]!;
        if (x > DETECTOR_VALUE_LIMIT) buf[i] = DETECTOR_VALUE_LIMIT;
        else if (x < -DETECTOR_VALUE_LIMIT) buf[i] = -DETECTOR_VALUE_LIMIT;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const x = values[i]!;
        if (typeof x !== "number" || x - x !== 0) {
          m = i;
          break;
        }
        buf[i] = x > DETECTOR_VALUE_LIMIT ? DETECTOR_VALUE_LIMIT : x < -DETECTOR_VALUE_LIMIT ? -DETECTOR_VALUE_LIMIT : x;
      }
    }
    const { first, last } = kernel.feed(m, this.params, this.s);
    this.tick += m;
    if (m > 0) this.drift = last === m - 1;
    if (m < n) checkValue(values[m]!, this.kind);
    return first;
  }

  reset(): void {
    const s = this.s;
    s.width = 0;
    s.total = 0;
    s.m2 = 0;
    s.untilCheck = this.params.clock;
    s.nLevels = 0;
    s.start.fill(0);
    s.count.fill(0);
    this.tick = 0;
    this.drift = false;
  }

  toJSON(): DetectorJSON {
    return detectorJSON(this.kind, this.params, {
      width: this.s.width,
      total: this.s.total,
      m2: this.s.m2,
      tick: this.tick,
      drift: this.drift,
      levels: this.levelsJSON(),
    });
  }

  /**
   * Restores from {@link ADWIN.toJSON}. Besides the shape, the state's
   * invariants are checked, each failure an `invalid_state` naming the field:
   * at most `maxBuckets` buckets per level and 64 levels, `width` equal to the
   * values the buckets hold and at most `tick`, `total` equal to the bucket
   * totals (to rounding), and no negative sum of squares.
   */
  static fromJSON(json: unknown): ADWIN {
    const { params, state } = openDetector(json, "ADWIN", paramsSchema, stateSchema);
    checkAdwinState(state, params.maxBuckets);
    const d = new ADWIN(params);
    d.s.width = state.width;
    d.s.total = state.total;
    d.s.m2 = state.m2;
    d.s.untilCheck = d.params.clock - (state.tick % d.params.clock);
    d.tick = state.tick;
    d.drift = state.drift;
    state.levels.forEach((l, k) => l.totals.forEach((t, i) => d.push(k, t, l.m2s[i] ?? 0)));
    return d;
  }

  /**
   * The JS loop of `update` and `updateMany` (adwin.wat is the same loop):
   * per value, the window's Welford statistics, a new bucket at level 0
   * (merging the two oldest of a level into one of the next while a level
   * holds more than `maxBuckets`), and every `clock` values a check. The hot
   * state lives in locals, written back before a check, at a non-finite value
   * and at the end. Returns the index of the first value that found a drift,
   * or −1.
   */
  private feed(values: ArrayLike<number>, n: number): number {
    const st = this.s;
    const cap = this.cap;
    const { maxBuckets, clock, gracePeriod } = this.params;
    const totals = st.totals;
    const m2s = st.m2s;
    const start = st.start;
    const count = st.count;
    let width = st.width;
    let total = st.total;
    let m2 = st.m2;
    let untilCheck = st.untilCheck;
    let nLevels = st.nLevels;
    let drift = this.drift;
    let first = -1;
    let i = 0;
    for (; i < n; i++) {
      let x = values[i]!;
      if (typeof x !== "number" || x - x !== 0) break;
      // Clamped so no sum, square or variance below can overflow (see DETECTOR_VALUE_LIMIT).
      if (x > DETECTOR_VALUE_LIMIT) x = DETECTOR_VALUE_LIMIT;
      else if (x < -DETECTOR_VALUE_LIMIT) x = -DETECTOR_VALUE_LIMIT;
      drift = false;
      // Welford for the whole window.
      if (width > 0) {
        const dx = x - total / width;
        m2 += (width / (width + 1)) * (dx * dx);
      }
      total += x;
      width++;
      // The new bucket, then merges up the levels.
      let bTotal = x;
      let bM2 = 0;
      for (let level = 0; ; level++) {
        const base = level * cap;
        const s = start[level]!;
        const c = count[level]! + 1;
        let q = s + c - 1;
        if (q >= cap) q -= cap;
        totals[base + q] = bTotal;
        m2s[base + q] = bM2;
        if (level >= nLevels) nLevels = level + 1;
        if (c <= maxBuckets) {
          count[level] = c;
          break;
        }
        let s1 = s + 1;
        if (s1 >= cap) s1 -= cap;
        const t0 = totals[base + s]!;
        const t1 = totals[base + s1]!;
        // Chan's merge of two buckets of n = 2^level values: (n/2)·(t0/n − t1/n)².
        const inv = INV[level]!;
        const dm = t0 * inv - t1 * inv;
        bM2 = m2s[base + s]! + m2s[base + s1]! + HALVES[level]! * (dm * dm);
        bTotal = t0 + t1;
        s1++;
        if (s1 >= cap) s1 -= cap;
        start[level] = s1;
        count[level] = c - 2;
      }
      if (--untilCheck === 0) {
        untilCheck = clock;
        if (width > gracePeriod) {
          st.width = width;
          st.total = total;
          st.m2 = m2;
          st.nLevels = nLevels;
          drift = this.detect();
          width = st.width;
          total = st.total;
          m2 = st.m2;
          nLevels = st.nLevels;
          if (drift && first < 0) first = i;
        }
      }
    }
    st.width = width;
    st.total = total;
    st.m2 = m2;
    st.untilCheck = untilCheck;
    st.nLevels = nLevels;
    this.drift = drift;
    this.tick += i;
    if (i < n) checkValue(values[i]!, this.kind);
    return first;
  }

  /** Buckets per level, oldest first (the JSON form). */
  private levelsJSON(): Array<{ totals: number[]; m2s: number[] }> {
    const out: Array<{ totals: number[]; m2s: number[] }> = [];
    const s = this.s;
    for (let k = 0; k < s.nLevels; k++) {
      const totals: number[] = [];
      const m2s: number[] = [];
      for (let i = 0; i < s.count[k]!; i++) {
        const q = k * this.cap + ((s.start[k]! + i) % this.cap);
        totals.push(s.totals[q]!);
        m2s.push(s.m2s[q]!);
      }
      out.push({ totals, m2s });
    }
    return out;
  }

  /** Appends a bucket as the newest of its level. */
  private push(level: number, total: number, m2: number): void {
    const s = this.s;
    const q = level * this.cap + ((s.start[level]! + s.count[level]!) % this.cap);
    s.totals[q] = total;
    s.m2s[q] = m2;
    s.count[level]!++;
    if (level >= s.nLevels) s.nLevels = level + 1;
  }

  /**
   * Drops the oldest part of the window while some cut shows a change; true
   * if it did.
   *
   * A cut at n0 values from the oldest end (t0 their sum, n1 = W − n0 and T
   * the window's) fires when, with diff = |t0/n0 − (T−t0)/n1| and
   * m = 1/(n0−w+1) + 1/(n1−w+1) (w = minWindowLength), diff − ⅔·δ′·m > 0 and
   * (diff − ⅔·δ′·m)² > 2·m·σ²·δ′: four divisions per cut. Since
   * m ≥ W/(n0·n1), firing implies (t0·W − T·n0)² > 2·σ²·δ′·W·n0·n1, which
   * needs none. A cut that fails that by more than the rounding of either
   * form can account for (bounded by the slack and the factor 0.99 below) cannot
   * fire and is skipped; every other cut is tested exactly as before, so the
   * cuts chosen are the same to the bit. On a stationary stream almost every
   * cut is skipped.
   */
  private detect(): boolean {
    const { minWindowLength, delta } = this.params;
    const st = this.s;
    const cap = this.cap;
    const totals = st.totals;
    const start = st.start;
    const count = st.count;
    let drift = false;
    for (let changed = true; changed && st.width > 2 * minWindowLength; ) {
      changed = false;
      const width = st.width;
      const total = st.total;
      let n0 = 0;
      let t0 = 0;
      const deltaPrime = Math.log((2 * Math.log(width)) / delta);
      const variance = st.m2 / width;
      const bias = (2 / 3) * deltaPrime;
      // The screen. |t0·W − T·n0| as computed here and the exact test's diff·n0·n1 differ by
      // less than 4.1·2⁻⁵³·(|t0| + |T|)·W plus a relative 2⁻⁵¹ (t0 is the same running sum in
      // both); the slack 1e-14·(|t0| + |T|)·W is 20 times that, and `bound`, the right side less
      // 1 %, covers the relative part. Below 1e-250 (or NaN) the screen is off, so underflow
      // cannot mislead it; a u² that overflows sends the cut to the exact test.
      const slackW = 1e-14 * width;
      const slackT = Math.abs(total) * slackW + 1e-300;
      const bound = 0.99 * 2 * variance * deltaPrime * width;
      const screen = bound >= 1e-250 && slackT < Infinity;
      // Oldest first: the highest level, then towards the newest buckets.
      scan: for (let k = st.nLevels - 1; k >= 0; k--) {
        const base = k * cap;
        const size = SIZES[k]!;
        const c = count[k]!;
        let q = start[k]!;
        for (let i = 0; i < c; i++) {
          n0 += size;
          t0 += totals[base + q]!;
          if (++q === cap) q = 0;
          const n1 = width - n0;
          if (n1 < minWindowLength) break scan;
          if (n0 < minWindowLength) continue;
          if (screen) {
            const u = Math.abs(t0 * width - total * n0) + Math.abs(t0) * slackW + slackT;
            if (u * u < bound * n0 * n1) continue;
          }
          const diff = Math.abs(t0 / n0 - (total - t0) / n1);
          const mRecip = 1 / (n0 - minWindowLength + 1) + 1 / (n1 - minWindowLength + 1);
          // Cut when diff > √(2·m·σ²·δ') + ⅔·δ'·m; compared without the square root.
          const over = diff - bias * mRecip;
          if (over > 0 && over * over > 2 * mRecip * variance * deltaPrime) {
            drift = true;
            this.dropOldest();
            changed = true;
            break scan;
          }
        }
      }
    }
    return drift;
  }

  private dropOldest(): void {
    const s = this.s;
    let k = s.nLevels - 1;
    while (k >= 0 && s.count[k] === 0) k--;
    if (k < 0) return;
    const q = k * this.cap + s.start[k]!;
    const n = SIZES[k]!;
    const t = s.totals[q]!;
    const v = s.m2s[q]!;
    s.start[k] = (s.start[k]! + 1) % this.cap;
    s.count[k]!--;
    const rest = s.width - n;
    if (rest > 0) {
      const dm = t / n - (s.total - t) / rest;
      s.m2 = Math.max(0, s.m2 - v - ((n * rest) / s.width) * dm * dm);
    } else s.m2 = 0;
    s.total -= t;
    s.width = rest;
    while (s.nLevels > 0 && s.count[s.nLevels - 1] === 0) s.nLevels--;
  }
}
