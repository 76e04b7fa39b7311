/** JSON form of a drift detector: its kind, parameters and state. */
export interface DetectorJSON {
  /** The detector kind, e.g. "ADWIN". */
  readonly kind: string;
  /** Construction parameters. */
  readonly params: Record<string, unknown>;
  /** Running state. */
  readonly state: Record<string, unknown>;
}

/**
 * A concept-drift detector on a stream of numbers — usually the model's
 * per-row error (0/1 for classification, absolute error for regression).
 * River's contract: `update(x)`, then read `driftDetected` / `warningDetected`
 * (about the value just added). After a drift the detector starts afresh on
 * the next update. Its state is saved with the model (`toJSON` / `fromJSON`).
 *
 * @example
 * ```ts
 * import { PageHinkley, SeededRandom } from "freshml";
 * const ph = new PageHinkley();
 * const rng = new SeededRandom(1);
 * let at = -1;
 * for (let i = 0; i < 2000 && at < 0; i++) {
 *   ph.update((i < 1000 ? 0 : 5) + rng.nextGaussian());
 *   if (ph.driftDetected) at = i; // shortly after 1000
 * }
 * ```
 */
export interface DriftDetector {
  /** A stable name, e.g. "ADWIN". */
  readonly kind: string;
  /** True right after the update that found a change. */
  readonly driftDetected: boolean;
  /** True while the stream looks like it may be changing (detectors that have a warning zone). */
  readonly warningDetected: boolean;
  /** Values seen since the last reset. */
  readonly nSeen: number;
  /** Adds one value. Throws `non_finite` for NaN or ±Infinity; the built-in detectors clamp finite values beyond ±1e100 to it. */
  update(x: number): void;
  /**
   * Adds many values in order, exactly as calling `update` on each would (the
   * same state, the same drift points), and returns the index of the first
   * value after which a drift was detected, or −1 if there was none. After it,
   * `driftDetected` and `warningDetected` describe the last value. A NaN or
   * ±Infinity throws `non_finite`, with the values before it added.
   *
   * Optional, so detectors written elsewhere need not have it; callers use it
   * when present and loop over `update` otherwise. The built-in detectors all
   * have it, and ADWIN's runs several times faster than the loop.
   */
  updateMany?(values: ArrayLike<number>): number;
  /** Forgets everything (parameters stay). */
  reset(): void;
  /** Parameters and state as JSON. */
  toJSON(): DetectorJSON;
}
