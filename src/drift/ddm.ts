import * as z from "zod";
import { checkParam } from "../core/errors.js";
import { badDetectorState, checkValue, detectorJSON, openDetector } from "./common.js";
import type { DetectorJSON, DriftDetector } from "./detector.js";

/** Parameters of {@link DDM} (River's defaults). */
export interface DDMParams {
  /** Values before any warning or drift. Default 30. */
  warmStart: number;
  /** Warning at p + s > p_min + warningThreshold · s_min. Default 2. */
  warningThreshold: number;
  /** Drift at p + s > p_min + driftThreshold · s_min. Default 3. */
  driftThreshold: number;
}

const paramsSchema = z.object({ warmStart: z.number().int().nonnegative(), warningThreshold: z.number().positive(), driftThreshold: z.number().positive() });
const stateSchema = z.object({
  n: z.number().int().nonnegative(),
  p: z.number(),
  pMin: z.number(),
  sMin: z.number(),
  warning: z.boolean(),
  drift: z.boolean(),
});
type State = z.infer<typeof stateSchema>;

/**
 * Drift Detection Method (Gama et al., 2004) for a stream of 0/1 errors: the
 * error rate p and its standard deviation s = √(p(1−p)/n) are compared with the
 * lowest p + s seen; a warning at 2 and a drift at 3 of those deviations above.
 * O(1) per value. Values are clipped to [0, 1].
 *
 * @example
 * ```ts
 * import { DDM } from "freshml";
 * const ddm = new DDM();
 * for (let i = 0; i < 500; i++) ddm.update(i % 10 === 0 ? 1 : 0); // 10% errors
 * ddm.driftDetected; // false
 * ```
 */
export class DDM implements DriftDetector {
  readonly kind = "DDM";
  /** Construction parameters, defaults filled in. */
  readonly params: Readonly<DDMParams>;
  private s: State = fresh();

  constructor(params: Partial<DDMParams> = {}) {
    const { warmStart = 30, warningThreshold = 2, driftThreshold = 3 } = params;
    checkParam(Number.isInteger(warmStart) && warmStart >= 0, "warmStart", "an integer ≥ 0", warmStart);
    checkParam(warningThreshold > 0, "warningThreshold", "> 0", warningThreshold);
    checkParam(driftThreshold >= warningThreshold, "driftThreshold", "≥ warningThreshold", driftThreshold);
    this.params = Object.freeze({ warmStart, warningThreshold, driftThreshold });
  }

  get driftDetected(): boolean {
    return this.s.drift;
  }

  get warningDetected(): boolean {
    return this.s.warning;
  }

  get nSeen(): number {
    return this.s.n;
  }

  update(x: number): void {
    checkValue(x, this.kind);
    if (this.s.drift) this.s = fresh();
    const s = this.s;
    const v = x < 0 ? 0 : x > 1 ? 1 : x;
    s.n++;
    s.p += (v - s.p) / s.n;
    const sd = Math.sqrt((s.p * (1 - s.p)) / s.n);
    s.warning = false;
    if (s.n < this.params.warmStart) return;
    if (s.p + sd <= s.pMin + s.sMin) {
      s.pMin = s.p;
      s.sMin = sd;
    }
    const level = s.p + sd;
    if (level > s.pMin + this.params.driftThreshold * s.sMin) s.drift = true;
    else if (level > s.pMin + this.params.warningThreshold * s.sMin) s.warning = true;
  }

  /**
   * Adds every value in order, as {@link DDM.update} on each (the same
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
    return detectorJSON(this.kind, this.params, { ...this.s, pMin: finiteOr(this.s.pMin), sMin: finiteOr(this.s.sMin) });
  }

  /** Restores from {@link DDM.toJSON}. */
  static fromJSON(json: unknown): DDM {
    const { params, state } = openDetector(json, "DDM", paramsSchema, stateSchema);
    // p is a mean of values clipped to [0, 1]; pMin and sMin are a past p and √(p(1−p)/n), or −1 (unset).
    if (state.p < 0 || state.p > 1) throw badDetectorState("DDM", "p", "is outside [0, 1]", state.p);
    if (state.pMin !== -1 && (state.pMin < 0 || state.pMin > 1)) throw badDetectorState("DDM", "pMin", "is outside [0, 1]", state.pMin);
    if (state.sMin !== -1 && (state.sMin < 0 || state.sMin > 0.5)) throw badDetectorState("DDM", "sMin", "is outside [0, 0.5]", state.sMin);
    const d = new DDM(params);
    d.s = { ...state, pMin: state.pMin === -1 ? Infinity : state.pMin, sMin: state.sMin === -1 ? Infinity : state.sMin };
    return d;
  }
}

// JSON has no Infinity: "not set yet" is saved as −1.
function finiteOr(v: number): number {
  return Number.isFinite(v) ? v : -1;
}

function fresh(): State {
  return { n: 0, p: 0, pMin: Infinity, sMin: Infinity, warning: false, drift: false };
}
