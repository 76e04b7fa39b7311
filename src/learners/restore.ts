import { FreshmlError } from "../core/errors.js";
import { readTrainerEnvelope } from "./envelope.js";
import type { Trainer } from "./trainer.js";

/** Maps a trainer `kind` to the function that restores it from its JSON. */
export type TrainerRegistry = Readonly<Record<string, (json: unknown) => Trainer>>;

/**
 * The kinds of `builtinTrainers` (learners/registry.ts), by name only: code
 * that must not bundle every learner (the Pipeline) checks a kind against this
 * list instead. A test keeps the two equal.
 */
export const builtinTrainerKinds: readonly string[] = [
  "LinearRegression",
  "RecursiveLeastSquares",
  "SGDRegressor",
  "SGDClassifier",
  "LogisticRegression",
  "GaussianNB",
  "MeanRegressor",
  "LastValueRegressor",
  "MajorityClassifier",
  "LastClassClassifier",
  "FullRefitLinearRegression",
  "FullRefitPolynomialRegression",
  "HoeffdingTreeClassifier",
  "HoeffdingTreeRegressor",
];

/**
 * Restores a trainer from its envelope with `registry` (no default, so this
 * module reaches no learner). An unknown kind or a malformed envelope is
 * `invalid_state`; the unknown kind's error names the registry's kinds and
 * says to pass a registry that has it.
 */
export function restoreWith(json: unknown, registry: TrainerRegistry): Trainer {
  const env = readTrainerEnvelope(json);
  const restore = Object.prototype.hasOwnProperty.call(registry, env.kind) ? registry[env.kind] : undefined;
  if (!restore) {
    const hint = `; for a trainer of your own, pass a registry that has it: { ...builtinTrainers, ${registryKey(env.kind)}: (json) => ${isIdentifier(env.kind) ? env.kind : "YourTrainer"}.fromJSON(json) }`;
    throw new FreshmlError("invalid_state", `no trainer registered for kind ${JSON.stringify(env.kind)}${hint}`, {
      param: "registry",
      observed: env.kind,
      expected: Object.keys(registry),
    });
  }
  return restore(json);
}

/**
 * The registry a Pipeline restores with when given none: the given trainers'
 * own classes (their static `fromJSON`, custom trainers' too), for a custom
 * trainer without one an `invalid_state` that says to add it or pass a
 * registry, and for every other built-in kind an `invalid_state` that says
 * to pass `builtinTrainers`.
 * Its keys are `builtinTrainers`' own, in order, then the custom kinds, so an
 * unknown kind gets the error `builtinTrainers` gives. It imports no learner:
 * a bundle with a Pipeline carries only the learners the application itself
 * imports.
 */
export function ownTrainers(trainers: ReadonlyArray<Trainer | null | undefined>): TrainerRegistry {
  const own = new Map<string, (json: unknown) => Trainer>();
  for (const t of trainers) {
    const fromJSON = t ? (t.constructor as { fromJSON?: unknown }).fromJSON : undefined;
    // Bound: a custom fromJSON may use `this` (a static factory written as `new this(...)`).
    if (t && typeof fromJSON === "function") own.set(t.kind, (fromJSON as (json: unknown) => Trainer).bind(t.constructor));
    else if (t && !own.has(t.kind) && !builtinTrainerKinds.includes(t.kind)) own.set(t.kind, noStaticFromJSON(t.kind));
  }
  const out: Record<string, (json: unknown) => Trainer> = {};
  for (const kind of builtinTrainerKinds) {
    out[kind] =
      own.get(kind) ??
      ((): never => {
        throw new FreshmlError(
          "invalid_state",
          `this pipeline restores, without a registry, only the kinds of its trainer and baseline (${[...own.keys()].join(", ") || "none built in"}); to restore a ${kind}, pass registry: builtinTrainers`,
          { param: "registry", observed: kind, expected: [...own.keys()] },
        );
      });
  }
  for (const [kind, restore] of own) if (!(kind in out)) out[kind] = restore;
  return Object.freeze(out);
}

/** The restore of a custom kind whose class has no static `fromJSON`: an error that says what to do. */
function noStaticFromJSON(kind: string): (json: unknown) => never {
  return () => {
    throw new FreshmlError(
      "invalid_state",
      `${kind} has no static fromJSON, so this pipeline cannot restore its stored state without a registry: give the class a static fromJSON(json), or pass registry: { ...builtinTrainers, ${registryKey(kind)}: (json) => /* your restore */ }`,
      { param: "registry", observed: kind },
    );
  };
}

/** Whether `kind` can stand as a bare key and class name in the snippets the errors suggest. */
function isIdentifier(kind: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(kind);
}

/** `kind` as an object key the suggested snippet can paste: quoted unless an identifier ("acme.PA" is not). */
function registryKey(kind: string): string {
  return isIdentifier(kind) ? kind : JSON.stringify(kind);
}
