import { z } from "zod";
import { FreshmlError } from "../core/errors.js";

/** zod schema of the JSON every metric's `toJSON()` gives. */
export const metricJSONSchema = z.object({
  metric: z.string().min(1).max(200),
  params: z.record(z.string(), z.unknown()),
  state: z.record(z.string(), z.unknown()),
});

/** A row count or per-class count: a non-negative safe integer. */
export const countSchema = z.number().int().nonnegative();
/** Per-class counts. */
export const countsSchema = z.array(countSchema);
/** Declared class labels (the constructor checks the rest). */
export const classesSchema = z.array(z.number());

/**
 * Opens a metric's JSON of the expected name and checks its parameters and
 * state against their schemas. Anything malformed is `invalid_state`.
 */
export function openMetricJSON<P, S>(
  json: unknown,
  name: string,
  paramsSchema: z.ZodType<P>,
  stateSchema: z.ZodType<S>,
): { params: P; state: S } {
  const env = metricJSONSchema.safeParse(json);
  if (!env.success) {
    throw new FreshmlError("invalid_state", `not a metric's JSON: ${z.prettifyError(env.error)}`, { issues: env.error.issues });
  }
  if (env.data.metric !== name) {
    throw new FreshmlError("invalid_state", `expected ${name} metric JSON, got ${env.data.metric}`, {
      observed: env.data.metric,
      expected: name,
    });
  }
  const params = paramsSchema.safeParse(env.data.params);
  if (!params.success) {
    throw new FreshmlError("invalid_state", `invalid ${name} params: ${z.prettifyError(params.error)}`, { issues: params.error.issues });
  }
  const state = stateSchema.safeParse(env.data.state);
  if (!state.success) {
    throw new FreshmlError("invalid_state", `invalid ${name} state: ${z.prettifyError(state.error)}`, { issues: state.error.issues });
  }
  return { params: params.data, state: state.data };
}

/**
 * Builds the metric from restored params. The constructor's own checks
 * (`invalid_params`, `unsupported`) become `invalid_state`: the fault is in
 * the saved JSON, not in a caller's options.
 */
export function constructRestored<M>(name: string, make: () => M): M {
  try {
    return make();
  } catch (err) {
    if (err instanceof FreshmlError) {
      throw new FreshmlError("invalid_state", `invalid ${name} params: ${err.message}`, { ...err.details, cause: err.code });
    }
    throw err;
  }
}

/** Throws `invalid_state` unless a restored invariant holds. */
export function checkRestored(ok: boolean, name: string, what: string, details: Record<string, unknown> = {}): void {
  if (!ok) throw new FreshmlError("invalid_state", `invalid ${name} state: ${what}`, details);
}

/** Sum of a plain array (counts restored from JSON). */
export function total(a: readonly number[]): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}
