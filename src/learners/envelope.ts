import { FreshmlError } from "../core/errors.js";
import { type Check, type Infer, literal, nonFinitePath, object, readChecked, record, str, unknownValue } from "../core/json-checks.js";
import { allFiniteFast } from "../core/kernels.js";
import type { TrainerJSON } from "./trainer.js";

/** Check of the envelope every trainer's JSON travels in. */
const trainerEnvelopeCheck = /* @__PURE__ */ object({
  format: /* @__PURE__ */ literal("freshml.trainer"),
  formatVersion: /* @__PURE__ */ literal(1),
  kind: /* @__PURE__ */ str(1, 200),
  params: /* @__PURE__ */ record(unknownValue),
  state: unknownValue,
});

/** A trainer envelope, checked: `invalid_state` naming the field unless `json` is one. */
export function readTrainerEnvelope(json: unknown): Infer<typeof trainerEnvelopeCheck> {
  return readChecked(trainerEnvelopeCheck, json, "not a freshml trainer envelope", "envelope");
}

/**
 * Builds a trainer envelope (Float64Arrays in `state` must already be plain
 * arrays). A non-finite number anywhere in the state, which JSON would write
 * as `null` so that it could never be restored, throws `non_finite` naming
 * the field instead (the learners never hold one; this is the last guard).
 */
export function makeEnvelope<P extends object, S>(kind: string, params: P, state: S | null): TrainerJSON<P & Record<string, unknown>, S> {
  const bad = nonFinitePath(state, "state");
  if (bad !== null) {
    throw new FreshmlError("non_finite", `${kind} state holds a non-finite number at ${bad}; refusing to save a state that cannot be restored`, { field: bad });
  }
  return { format: "freshml.trainer", formatVersion: 1, kind, params: { ...params } as P & Record<string, unknown>, state };
}

/**
 * Opens a trainer envelope of the expected kind and checks its parameters and
 * state. Anything malformed is `invalid_state` naming the field.
 */
export function openEnvelope<P, S>(json: unknown, kind: string, paramsCheck: Check<P>, stateCheck: Check<S>): { params: P; state: S | null } {
  const env = readTrainerEnvelope(json);
  if (env.kind !== kind) {
    throw new FreshmlError("invalid_state", `expected a ${kind} envelope, got ${env.kind}`, {
      observed: env.kind,
      expected: kind,
    });
  }
  const params = readChecked(paramsCheck, env.params, `invalid ${kind} params`, "params");
  if (env.state === null || env.state === undefined) return { params, state: null };
  return { params, state: readChecked(stateCheck, env.state, `invalid ${kind} state`, "state") };
}

/** Throws `invalid_state` unless an array restored from JSON has the expected length. */
export function checkLength(name: string, a: ArrayLike<number>, expected: number): void {
  if (a.length !== expected) {
    throw new FreshmlError("invalid_state", `state field ${name} has length ${a.length}, expected ${expected}`, {
      field: name,
      observed: a.length,
      expected,
    });
  }
}

/**
 * The `invalid_state` error for a restored state that has the right shape
 * but breaks an invariant; `details.field` names the field.
 */
export function stateInvariantError(kind: string, field: string, why: string, observed?: unknown): FreshmlError {
  return new FreshmlError("invalid_state", `invalid ${kind} state: ${field} ${why}`, { field, ...(observed === undefined ? {} : { observed }) });
}

/** Throws {@link stateInvariantError} unless every entry of `counts` is an integer ≥ 0. */
export function checkCounts(kind: string, field: string, counts: ArrayLike<number>): void {
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!(c >= 0) || !Number.isInteger(c)) throw stateInvariantError(kind, `${field}[${i}]`, "is not a count (an integer ≥ 0)", c);
  }
}

/** Throws `not_fitted` with a consistent message. */
export function notFitted(kind: string): FreshmlError {
  return new FreshmlError("not_fitted", `${kind} has not learned any batch yet; call update() first`);
}

/** Throws `incompatible_merge` unless `other` is the same kind with equal parameters and feature count. */
export function checkMergeable(self: { kind: string; params: object; nFeatures: number | undefined }, other: {
  kind: string;
  params: object;
  nFeatures: number | undefined;
}): void {
  if (other.kind !== self.kind) {
    throw new FreshmlError("incompatible_merge", `cannot merge a ${other.kind} into a ${self.kind}`);
  }
  if (JSON.stringify(other.params) !== JSON.stringify(self.params)) {
    throw new FreshmlError("incompatible_merge", `cannot merge ${self.kind} models with different parameters`, {
      observed: other.params,
      expected: self.params,
    });
  }
  if (self.nFeatures !== undefined && other.nFeatures !== undefined && self.nFeatures !== other.nFeatures) {
    throw new FreshmlError("incompatible_merge", `cannot merge models of ${other.nFeatures} and ${self.nFeatures} features`, {
      observed: other.nFeatures,
      expected: self.nFeatures,
    });
  }
}

/**
 * Throws `prediction_overflow` naming the first row whose output is not
 * finite (features so large the model's output overflows); returns quietly
 * otherwise. `width` outputs per row.
 */
export function checkPredictions(out: Float64Array, kind: string, width = 1): void {
  if (allFiniteFast(out)) return;
  for (let k = 0; k < out.length; k++) {
    const v = out[k]!;
    if (v - v !== 0) {
      const row = Math.floor(k / width);
      throw new FreshmlError("prediction_overflow", `${kind} cannot predict row ${row}: its output is ${v} (the features are too large for the model)`, {
        row,
        observed: String(v),
        expected: "a finite prediction",
      });
    }
  }
}
