import * as z from "zod";
import { FreshmlError } from "../core/errors.js";
import { nonFinitePath } from "../core/json-checks.js";
import type { DetectorJSON } from "./detector.js";

/**
 * The largest magnitude a built-in drift detector takes in: a finite value
 * beyond ±1e100 is clamped to ±1e100 before it is added. A model's error that
 * large is an alarm in any unit, and clamping keeps every running sum, square
 * and variance the detectors compute finite (1e100² times any window length
 * a stream can reach stays far below the largest double), so their state is
 * always finite and always saves and restores. NaN and ±Infinity are still
 * refused with `non_finite`.
 */
export const DETECTOR_VALUE_LIMIT = 1e100;

/** Throws `non_finite` unless x is a finite number. */
export function checkValue(x: number, kind: string): void {
  if (typeof x !== "number" || x - x !== 0) {
    throw new FreshmlError("non_finite", `${kind}.update needs a finite number, got ${String(x)}`, { observed: String(x) });
  }
}

/** Clamps a finite value to ±{@link DETECTOR_VALUE_LIMIT}. */
export function clampValue(x: number): number {
  return x > DETECTOR_VALUE_LIMIT ? DETECTOR_VALUE_LIMIT : x < -DETECTOR_VALUE_LIMIT ? -DETECTOR_VALUE_LIMIT : x;
}

/** Opens a detector's JSON of the expected kind, checking params and state. */
export function openDetector<P, S>(json: unknown, kind: string, params: z.ZodType<P>, state: z.ZodType<S>): { params: P; state: S } {
  const env = z.object({ kind: z.literal(kind), params: params, state: state }).safeParse(json);
  if (!env.success) throw new FreshmlError("invalid_state", `invalid ${kind} detector state: ${z.prettifyError(env.error)}`);
  return { params: env.data.params as P, state: env.data.state as S };
}

/** Throws `invalid_state` naming the field when a restored detector state breaks an invariant. */
export function badDetectorState(kind: string, field: string, why: string, observed?: unknown): FreshmlError {
  return new FreshmlError("invalid_state", `invalid ${kind} detector state: ${field} ${why}`, {
    field,
    ...(observed === undefined ? {} : { observed }),
  });
}

/**
 * Builds a detector's JSON. A non-finite number anywhere in the state (which
 * JSON would turn into `null`, so the state could never be restored) throws
 * `non_finite` naming the field instead of being written.
 */
export function detectorJSON(kind: string, params: object, state: object): DetectorJSON {
  const bad = nonFinitePath(state, "state");
  if (bad !== null) {
    throw new FreshmlError("non_finite", `${kind} state holds a non-finite number at ${bad}; refusing to save a state that cannot be restored`, {
      field: bad,
    });
  }
  return { kind, params: { ...params }, state: JSON.parse(JSON.stringify(state)) as Record<string, unknown> };
}

