import { FreshmlError, describeValue } from "../core/errors.js";

/**
 * A check of one JSON field: `test` says whether a value fits, `expected`
 * describes what fits (for messages). Metrics check their saved JSON with
 * these rather than zod, so importing one metric costs a few hundred bytes,
 * not a schema library.
 */
export interface FieldCheck<T> {
  /** What fits, in words. */
  readonly expected: string;
  /** Whether `v` fits. */
  test(v: unknown): v is T;
}

/** The type a field check admits. */
export type Checked<C> = C extends FieldCheck<infer T> ? T : never;

/** A record of field checks: the shape of a saved object. */
export type Shape = Readonly<Record<string, FieldCheck<unknown>>>;

/** The object a {@link Shape} admits (its listed fields only). */
export type ShapeOf<S extends Shape> = { [K in keyof S]: Checked<S[K]> };

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** A finite number. */
export const finiteNumber: FieldCheck<number> = { expected: "a finite number", test: isFiniteNumber };
/** A finite number ≥ 0. */
export const nonNegativeNumber: FieldCheck<number> = { expected: "a finite number ≥ 0", test: (v): v is number => isFiniteNumber(v) && v >= 0 };
/** A row count or per-class count: a non-negative safe integer. */
export const countCheck: FieldCheck<number> = { expected: "a non-negative integer", test: isCount };
/** Per-class counts. */
export const countsCheck: FieldCheck<number[]> = {
  expected: "an array of non-negative integers",
  test: (v): v is number[] => Array.isArray(v) && v.every(isCount),
};
/** Declared class labels (the constructor checks the rest). */
export const classesCheck: FieldCheck<number[]> = {
  expected: "an array of finite numbers",
  test: (v): v is number[] => Array.isArray(v) && v.every(isFiniteNumber),
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The JSON every metric's `toJSON()` gives, checked loosely: a name, params and state objects. */
export function readMetricEnvelope(json: unknown): { metric: string; params: Record<string, unknown>; state: Record<string, unknown> } {
  if (!isRecord(json)) throw new FreshmlError("invalid_state", `not a metric's JSON: expected an object, got ${describeValue(json)}`, { observed: describeValue(json) });
  const { metric, params, state } = json;
  if (typeof metric !== "string" || metric.length === 0 || metric.length > 200) {
    throw new FreshmlError("invalid_state", `not a metric's JSON: metric must be a name (1 to 200 characters), got ${describeValue(metric)}`, {
      field: "metric",
      observed: describeValue(metric),
    });
  }
  for (const [field, v] of [["params", params], ["state", state]] as const) {
    if (!isRecord(v)) {
      throw new FreshmlError("invalid_state", `not a metric's JSON: ${field} must be an object, got ${describeValue(v)}`, { field, observed: describeValue(v) });
    }
  }
  return { metric, params: params as Record<string, unknown>, state: state as Record<string, unknown> };
}

function readShape<S extends Shape>(obj: Record<string, unknown>, shape: S, what: string): ShapeOf<S> {
  const out: Record<string, unknown> = {};
  for (const [field, check] of Object.entries(shape)) {
    const v = obj[field];
    if (!check.test(v)) {
      throw new FreshmlError("invalid_state", `invalid ${what}: ${field} must be ${check.expected}, got ${describeValue(v)}`, {
        field,
        expected: check.expected,
        observed: describeValue(v),
      });
    }
    out[field] = v;
  }
  return out as ShapeOf<S>;
}

/**
 * Opens a metric's JSON of the expected name and checks its parameters and
 * state against their shapes. Anything malformed is `invalid_state`.
 */
export function openMetricJSON<P extends Shape, S extends Shape>(
  json: unknown,
  name: string,
  paramsShape: P,
  stateShape: S,
): { params: ShapeOf<P>; state: ShapeOf<S> } {
  const env = readMetricEnvelope(json);
  if (env.metric !== name) {
    throw new FreshmlError("invalid_state", `expected ${name} metric JSON, got ${env.metric}`, {
      observed: env.metric,
      expected: name,
    });
  }
  return { params: readShape(env.params, paramsShape, `${name} params`), state: readShape(env.state, stateShape, `${name} state`) };
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
