import { kolmogorovSf } from "./special.js";

/** Result of {@link ksTwoSample}. */
export interface KsResult {
  /** The largest gap between the two empirical CDFs. */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  /** How the p-value was computed. */
  method: "exact" | "asymptotic";
}

/** Largest |F₁ − F₂| between the empirical CDFs of two sorted samples. */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = a[i]! <= b[j]! ? a[i]! : b[j]!;
    while (i < n && a[i]! <= x) i++;
    while (j < m && b[j]! <= x) j++;
    const gap = Math.abs(i / n - j / m);
    if (gap > d) d = gap;
  }
  return d;
}

/**
 * Exact two-sided p-value P(D ≥ d) of the two-sample KS statistic under the
 * null, by counting the lattice paths that stay inside |i/n − j/m| < d
 * (Hodges, 1957). O(n·m).
 */
export function ksExactPValue(n: number, m: number, d: number): number {
  // Integer arithmetic as scipy does: |i·m − j·n| ≥ h is outside, with h = round(d·n·m).
  return ksExactPValueOfH(n, m, Math.round(d * n * m));
}

/** {@link ksExactPValue} of the integer statistic h = round(d·n·m), which is all it depends on. @internal */
export function ksExactPValueOfH(n: number, m: number, h: number): number {
  const row = new Float64Array(m + 1);
  // Scale rows so the path counts never overflow; track the log of the scale.
  let logScale = 0;
  for (let j = 0; j <= m; j++) row[j] = Math.abs(j * n) >= h ? 0 : 1;
  for (let i = 1; i <= n; i++) {
    row[0] = Math.abs(i * m) >= h ? 0 : row[0]!;
    let max = row[0]!;
    for (let j = 1; j <= m; j++) {
      row[j] = Math.abs(i * m - j * n) >= h ? 0 : row[j]! + row[j - 1]!;
      if (row[j]! > max) max = row[j]!;
    }
    if (max > 1e200) {
      for (let j = 0; j <= m; j++) row[j]! /= 1e200;
      logScale += Math.log(1e200);
    }
  }
  // Inside paths / all paths, with C(n + m, n) in logs.
  const logAll = logChoose(n + m, n);
  const inside = row[m]! > 0 ? Math.exp(Math.log(row[m]!) + logScale - logAll) : 0;
  return Math.min(1, Math.max(0, 1 - inside));
}

function logChoose(a: number, b: number): number {
  let s = 0;
  const k = Math.min(b, a - b);
  for (let i = 1; i <= k; i++) s += Math.log((a - k + i) / i);
  return s;
}

/**
 * Two-sample Kolmogorov–Smirnov test on two **sorted** samples. The p-value
 * is exact when n·m ≤ `exactLimit` (default 10⁶, as scipy's `method="exact"`),
 * and otherwise Smirnov's limit Q(√(nm/(n+m))·D) (scipy.stats.kstwobign).
 *
 * @example
 * ```ts
 * import { ksTwoSample } from "freshml";
 * const r = ksTwoSample(Float64Array.from([1, 2, 3, 4]), Float64Array.from([3, 4, 5, 6]));
 * // r.statistic = 0.5, r.pValue ≈ 0.771 (exact)
 * ```
 */
export function ksTwoSample(a: Float64Array, b: Float64Array, exactLimit = 1e6): KsResult {
  return ksResult(a.length, b.length, ksStatistic(a, b), exactLimit);
}

/** The test's result for a statistic `d` of samples of sizes n and m (see {@link ksTwoSample}). @internal */
export function ksResult(n: number, m: number, d: number, exactLimit = 1e6, exact: (n: number, m: number, d: number) => number = ksExactPValue): KsResult {
  if (n * m <= exactLimit) return { statistic: d, pValue: exact(n, m, d), method: "exact" };
  const en = (n * m) / (n + m);
  return { statistic: d, pValue: kolmogorovSf(Math.sqrt(en) * d), method: "asymptotic" };
}

/**
 * A sorted reference sample indexed for repeated comparisons with new,
 * unsorted samples. Each new value is placed among the reference's distinct
 * values u₀ < u₁ < … by a grid over the reference's range and a short search
 * inside its cell (usually 0–1 values), so a KS statistic costs O(m) plus
 * O(K/16) for the occupancy bitmap (2K slots), and no sort of the new sample. Results are
 * bit-identical to {@link ksStatistic} on the sorted samples.
 * @internal
 */
export class KsReferenceIndex {
  /** Reference size. */
  readonly n: number;
  /** Distinct reference values, then a NaN sentinel (never equal, never less). */
  private readonly u: Float64Array;
  private readonly lo: number;
  private readonly scale: number;
  private readonly cells: number;
  /** first[g]: the first distinct value whose cell is ≥ g (first[cells] = K); 16 bits when K allows, to stay in cache. */
  private readonly first: Uint16Array | Int32Array;
  /** Whether every cell holds few enough values to scan it linearly (else a binary search). */
  private readonly scan: boolean;
  /**
   * F_ref below uₖ: refF[k] = R₍ₖ₋₁₎/n, with Rₖ the reference values ≤ uₖ
   * (refF[0] = 0, refF[K] = 1). New values go to slots: 2k for those strictly
   * between u₍ₖ₋₁₎ and uₖ, where F_ref = refF[k]; 2k + 1 for those equal to uₖ,
   * where F_ref = refF[k + 1]; 2K for those above all. So slot s has
   * F_ref = refF[(s + 1) >> 1], and the slot before it refF[s >> 1].
   */
  private readonly refF: Float64Array;
  /** Values per slot; kept all-zero between calls. */
  private readonly counts: Int32Array;
  /** One bit per occupied slot; kept all-zero between calls. */
  private readonly occupied: Int32Array;
  private slots = new Int32Array(0);
  private frac = new Float64Array(0);
  private fracM = -1;
  private out = new Float64Array(0);

  constructor(sorted: Float64Array) {
    const n = sorted.length;
    this.n = n;
    let k = 0;
    const u = new Float64Array(n + 1);
    const cum = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (i === 0 || sorted[i] !== sorted[i - 1]) u[k++] = sorted[i]!;
      cum[k - 1] = i + 1;
    }
    const K = k;
    u[K] = NaN;
    this.u = u.subarray(0, K + 1);
    const slots = 2 * K + 2;
    // The same divisions ksStatistic makes, so gaps come out bit-identical.
    this.refF = new Float64Array(K + 2);
    for (let j = 1; j <= K; j++) this.refF[j] = cum[j - 1]! / n;
    this.refF[K + 1] = 1;
    this.counts = new Int32Array(slots);
    this.occupied = new Int32Array((slots + 31) >>> 5);
    // Four cells per distinct value leave most cells with 0–1 values on smooth data.
    this.cells = Math.max(1, 4 * K);
    this.lo = K > 0 ? u[0]! : 0;
    const scale = this.cells / (K > 0 ? u[K - 1]! - this.lo : 0);
    // Infinite values, or a zero or overflowing span: one cell, a plain binary search.
    this.scale = Number.isFinite(this.lo) && Number.isFinite(scale) && scale > 0 ? scale : 0;
    this.first = K < 65536 ? new Uint16Array(this.cells + 1) : new Int32Array(this.cells + 1);
    let most = 0;
    for (let g = 0, j = 0; g <= this.cells; g++) {
      while (j < K && this.cell(u[j]!) < g) j++;
      this.first[g] = j;
      if (g > 0) most = Math.max(most, j - this.first[g - 1]!);
    }
    this.scan = most <= 8;
  }

  /** Grid cell of x: monotone in x, which is all the search relies on. */
  private cell(x: number): number {
    const t = (x - this.lo) * this.scale;
    return t < 0 ? 0 : t >= this.cells ? this.cells - 1 : t | 0;
  }

  /** Counts each present value in its slot (this.slots[i]; −1 when missing); returns how many were present. */
  private place(values: Float64Array): number {
    const { u, first, counts, occupied, lo, scale, cells, scan } = this;
    if (this.slots.length < values.length) this.slots = new Int32Array(values.length);
    const slots = this.slots;
    let m = 0;
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      if (x !== x) {
        slots[i] = -1;
        continue;
      }
      m++;
      const t = (x - lo) * scale;
      const c = t < 0 ? 0 : t >= cells ? cells - 1 : t | 0;
      // Values of earlier cells are < x and of later cells > x: the lower bound is in [first[c], first[c + 1]].
      let a = first[c]!;
      if (scan) {
        // Stops by first[c + 1]: that value is > x, or the NaN sentinel.
        while (u[a]! < x) a++;
      } else {
        let b = first[c + 1]!;
        while (a < b) {
          const mid = (a + b) >> 1;
          if (u[mid]! < x) a = mid + 1;
          else b = mid;
        }
      }
      const s = 2 * a + (u[a] === x ? 1 : 0);
      slots[i] = s;
      counts[s]!++;
      occupied[s >>> 5]! |= 1 << (s & 31);
    }
    return m;
  }

  /**
   * KS statistic of the present (non-NaN) values against the reference, and
   * how many were present: ksStatistic(reference, sorted values), bit for bit.
   */
  statistic(values: Float64Array): { d: number; m: number } {
    const m = this.place(values);
    if (m !== this.fracM) {
      if (this.frac.length < m + 1) this.frac = new Float64Array(m + 1);
      // The same divisions as ksStatistic's j / m.
      for (let j = 0; j <= m; j++) this.frac[j] = j / m;
      this.fracM = m;
    }
    const { counts, occupied, refF, frac } = this;
    // Over a run of slots without new values the gap is monotone, so its
    // largest values are on either side of an occupied slot: 2 gaps per occupied slot.
    let d = 0;
    let c = 0;
    for (let w = 0; w < occupied.length; w++) {
      let word = occupied[w]!;
      if (word === 0) continue;
      occupied[w] = 0;
      do {
        const low = word & -word;
        word ^= low;
        const s = (w << 5) + 31 - Math.clz32(low);
        const before = Math.abs(refF[s >> 1]! - frac[c]!);
        c += counts[s]!;
        counts[s] = 0;
        const after = Math.abs(refF[(s + 1) >> 1]! - frac[c]!);
        if (before > d) d = before;
        if (after > d) d = after;
      } while (word !== 0);
    }
    return { d, m };
  }

  /**
   * The present (non-NaN) values, sorted: a counting sort by slot, then each
   * slot's few values. −0 and 0 may come in either order (they compare equal).
   * The returned array is reused by the next call.
   */
  sorted(values: Float64Array): Float64Array {
    const m = this.place(values);
    const { counts, occupied, slots } = this;
    if (this.out.length < m) this.out = new Float64Array(m);
    const out = this.out.subarray(0, m);
    // Each occupied slot's start, in place of its count.
    let start = 0;
    for (let w = 0; w < occupied.length; w++) {
      for (let word = occupied[w]!; word !== 0; ) {
        const low = word & -word;
        word ^= low;
        const s = (w << 5) + 31 - Math.clz32(low);
        const c = counts[s]!;
        counts[s] = start;
        start += c;
      }
    }
    for (let i = 0; i < values.length; i++) {
      const s = slots[i]!;
      if (s >= 0) out[counts[s]!++] = values[i]!;
    }
    // counts[s] is now the end of slot s. Only "between" slots (even) hold different values.
    start = 0;
    for (let w = 0; w < occupied.length; w++) {
      let word = occupied[w]!;
      if (word === 0) continue;
      occupied[w] = 0;
      do {
        const low = word & -word;
        word ^= low;
        const s = (w << 5) + 31 - Math.clz32(low);
        const end = counts[s]!;
        counts[s] = 0;
        if ((s & 1) === 0 && end - start > 1) sortRange(out, start, end);
        start = end;
      } while (word !== 0);
    }
    return out;
  }
}

/** Sorts a[start, end) ascending: insertion sort for a few values, the native sort beyond. */
function sortRange(a: Float64Array, start: number, end: number): void {
  if (end - start > 24) {
    a.subarray(start, end).sort();
    return;
  }
  for (let i = start + 1; i < end; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= start && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}
