import { z } from "zod";
import { FreshmlError } from "../core/errors.js";

/** JSON form of a {@link QuantileSketch}. */
export interface QuantileSketchJSON {
  /** Items per level before it is compacted. */
  readonly k: number;
  /** Values added. */
  readonly n: number;
  /** The kept items per level (an item of level h stands for 2^h values). */
  readonly levels: readonly (readonly number[])[];
  /** Compactions done per level (their parity picks which half a level keeps next). */
  readonly compactions: readonly number[];
}

const sketchSchema = z.object({
  k: z.number().int().min(2).max(1 << 16),
  n: z.number().int().nonnegative(),
  levels: z.array(z.array(z.number())),
  compactions: z.array(z.number().int().nonnegative()),
});

/** Default items per level: the median's rank error stayed within 1.3 % (of n) on every stream measured in docs/preprocessing.md, with at most 448 numbers kept for a million values. */
export const DEFAULT_SKETCH_K = 128;

/**
 * A deterministic streaming quantile sketch (a compactor sketch in the style
 * of Manku–Rajagopalan–Lindsay): values go into level 0; when a level holds
 * `k` items it is sorted and every other item (alternately the odd and the
 * even ones) moves up a level with twice the weight. No randomness, so the
 * state after a sequence of values is a function of that sequence alone:
 * adding values batch by batch gives exactly the state of one pass over their
 * concatenation in the same order (it is mergeable by order, not by
 * arbitrary union).
 *
 * Memory is under `k` items per level, with at most ⌈log₂(n / k)⌉ + 1 levels
 * (448 numbers were kept for a million values at k = 128). Up to `k` values the
 * median is exact (numpy's median: the mean of the two middle values for an
 * even count). Beyond, each compaction of level h moves any rank by at most
 * 2^h, so the worst-case rank error is levels / k (of n); on real streams the
 * alternating halves cancel and the measured error is far smaller — see
 * docs/preprocessing.md for figures.
 *
 * @example
 * ```ts
 * import { QuantileSketch } from "freshml";
 * const s = new QuantileSketch();
 * for (const x of [5, 1, 4, 2, 3, 6]) s.add(x);
 * s.median(); // 3.5 (exact below k values)
 * ```
 */
export class QuantileSketch {
  /** Items per level before it is compacted. */
  readonly k: number;
  private count = 0;
  private levels: number[][] = [[]];
  private compactions: number[] = [0];

  /** @param k - items per level (default {@link DEFAULT_SKETCH_K}); more is more accurate and larger. */
  constructor(k: number = DEFAULT_SKETCH_K) {
    if (!Number.isInteger(k) || k < 2 || k > 1 << 16) throw new FreshmlError("invalid_params", `a quantile sketch needs an integer k in [2, 65536], got ${k}`, { param: "k" });
    this.k = k;
  }

  /** Values added so far. */
  get n(): number {
    return this.count;
  }

  /** Adds one finite value (a non-finite one is `non_finite`). */
  add(x: number): void {
    if (x - x !== 0) throw new FreshmlError("non_finite", `a quantile sketch takes finite values, got ${x}`, { observed: x });
    this.count++;
    const l0 = this.levels[0]!;
    // −0 is kept as 0, so that the state survives JSON as it is.
    l0.push(x + 0);
    if (l0.length >= this.k) this.compact(0);
  }

  private compact(h: number): void {
    const items = this.levels[h]!.sort((a, b) => a - b);
    if (h + 1 === this.levels.length) {
      this.levels.push([]);
      this.compactions.push(0);
    }
    // An odd count keeps its largest item here; the rest pairs up.
    const keep = items.length % 2 === 1 ? [items[items.length - 1]!] : [];
    const m = items.length - keep.length;
    const offset = this.compactions[h]! % 2;
    this.compactions[h]!++;
    const up = this.levels[h + 1]!;
    for (let i = offset; i < m; i += 2) up.push(items[i]!);
    this.levels[h] = keep;
    if (up.length >= this.k) this.compact(h + 1);
  }

  /**
   * The value at quantile `q` ∈ [0, 1], interpolated as numpy's default
   * ("linear") between the two items around rank q·(n − 1); NaN when empty.
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new FreshmlError("invalid_params", `a quantile is in [0, 1], got ${q}`, { param: "q" });
    if (this.count === 0) return NaN;
    const items: Array<[number, number]> = [];
    this.levels.forEach((level, h) => {
      for (const v of level) items.push([v, 2 ** h]);
    });
    items.sort((a, b) => a[0] - b[0]);
    const total = items.reduce((s, it) => s + it[1], 0);
    // Ranks are over the weight the sketch holds (n, up to what compaction dropped from odd levels).
    const pos = q * (total - 1);
    const lo = Math.floor(pos);
    const a = at(items, lo);
    const b = at(items, Math.min(lo + 1, total - 1));
    const frac = pos - lo;
    if (frac === 0 || a === b) return a;
    // Halfway (an even count's median): the mean of the two, as numpy's median computes it.
    if (frac === 0.5) {
      const m = (a + b) / 2;
      return m - m === 0 ? m : a / 2 + b / 2;
    }
    return a + (b - a) * frac;
  }

  /** The median (exact up to `k` values; see the class notes beyond). NaN when empty. */
  median(): number {
    return this.quantile(0.5);
  }

  /** An independent copy. */
  copy(): QuantileSketch {
    const s = new QuantileSketch(this.k);
    s.count = this.count;
    s.levels = this.levels.map((l) => l.slice());
    s.compactions = this.compactions.slice();
    return s;
  }

  /** JSON-safe form. */
  toJSON(): QuantileSketchJSON {
    return { k: this.k, n: this.count, levels: this.levels.map((l) => l.slice()), compactions: this.compactions.slice() };
  }

  /** Restores {@link QuantileSketch.toJSON}; anything malformed is `invalid_state`. */
  static fromJSON(json: unknown): QuantileSketch {
    const p = sketchSchema.safeParse(json);
    if (!p.success) throw new FreshmlError("invalid_state", `not a quantile sketch: ${z.prettifyError(p.error)}`);
    const j = p.data;
    if (j.levels.length === 0 || j.levels.length !== j.compactions.length || j.levels.some((l) => l.length >= j.k)) {
      throw new FreshmlError("invalid_state", "quantile sketch levels do not fit its k");
    }
    const s = new QuantileSketch(j.k);
    s.count = j.n;
    s.levels = j.levels.map((l) => l.slice());
    s.compactions = j.compactions.slice();
    return s;
  }
}

/** The value of the item holding weighted rank `r` (0-based) of items sorted by value. */
function at(items: ReadonlyArray<[number, number]>, r: number): number {
  let seen = 0;
  for (const [v, w] of items) {
    seen += w;
    if (r < seen) return v;
  }
  return items[items.length - 1]![0];
}
