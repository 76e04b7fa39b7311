import { z } from "zod";
import { FreshmlError } from "../core/errors.js";
import type { DetectorJSON } from "./detector.js";

/** Throws `non_finite` unless x is a finite number. */
export function checkValue(x: number, kind: string): void {
  if (typeof x !== "number" || x - x !== 0) {
    throw new FreshmlError("non_finite", `${kind}.update needs a finite number, got ${String(x)}`, { observed: String(x) });
  }
}

/** Opens a detector's JSON of the expected kind, checking params and state. */
export function openDetector<P, S>(json: unknown, kind: string, params: z.ZodType<P>, state: z.ZodType<S>): { params: P; state: S } {
  const env = z.object({ kind: z.literal(kind), params: params, state: state }).safeParse(json);
  if (!env.success) throw new FreshmlError("invalid_state", `invalid ${kind} detector state: ${z.prettifyError(env.error)}`);
  return { params: env.data.params as P, state: env.data.state as S };
}

/** Builds a detector's JSON. */
export function detectorJSON(kind: string, params: object, state: object): DetectorJSON {
  return { kind, params: { ...params }, state: JSON.parse(JSON.stringify(state)) as Record<string, unknown> };
}
