import { FreshmlError, describeValue } from "./errors.js";

/**
 * Typed checks of saved JSON (trainer envelopes, learner and scaler state):
 * the few shapes freshml saves, checked with plain code instead of a schema
 * library, so importing one learner does not pull one into a bundle
 * (docs/bundle-size.md). A check returns a fresh copy holding only the fields
 * it names, as zod's parse did, or throws; {@link readChecked} turns the
 * failure into `invalid_state` naming the field.
 */

/** A failed check: where (path segments from the checked value) and what was expected. */
class Mismatch {
  readonly path: Array<string | number> = [];
  constructor(
    readonly expected: string,
    readonly observed: unknown,
  ) {}
}

/** Prepends a path segment to a failure bubbling out of a container; other errors pass unchanged. */
function within(err: unknown, segment: string | number): unknown {
  if (err instanceof Mismatch) err.path.unshift(segment);
  return err;
}

/** `a.b[3].c` from path segments. */
function renderPath(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const s of path) out += typeof s === "number" ? `[${s}]` : out === "" ? s : `.${s}`;
  return out;
}

/** A check of one JSON value: `read` returns it (copied, for containers) if it fits, else throws. */
export interface Check<T> {
  /** What fits, in words (for messages). */
  readonly expected: string;
  /** The value if it fits; otherwise throws (caught by {@link readChecked}). */
  read(value: unknown): T;
}

/** The type a check admits. */
export type Infer<C> = C extends Check<infer T> ? T : never;

/** Field checks of an object. */
export type CheckShape = Readonly<Record<string, Check<unknown>>>;

/** The object a {@link CheckShape} admits. */
export type InferShape<S extends CheckShape> = { [K in keyof S]: Infer<S[K]> };

/** An object check that keeps its shape, so another can extend it. */
export interface ObjectCheck<S extends CheckShape> extends Check<InferShape<S>> {
  /** The field checks. */
  readonly shape: S;
}

function leaf<T>(expected: string, test: (v: unknown) => boolean): Check<T> {
  return {
    expected,
    read(v) {
      if (!test(v)) throw new Mismatch(expected, v);
      return v as T;
    },
  };
}

/** Bounds of a {@link num} check. */
export interface NumberBounds {
  /** A safe integer. */
  readonly int?: boolean;
  /** Lowest allowed value (inclusive). */
  readonly min?: number;
  /** Values must exceed this. */
  readonly gt?: number;
  /** Highest allowed value (inclusive). */
  readonly max?: number;
}

/** A finite number (NaN and ±Infinity never fit, as in zod 4), optionally an integer and bounded. */
export function num(bounds: NumberBounds = {}): Check<number> {
  const { int = false, min, gt, max } = bounds;
  const limits = [min !== undefined && `≥ ${min}`, gt !== undefined && `> ${gt}`, max !== undefined && `≤ ${max}`].filter(Boolean);
  const expected = `${int ? "an integer" : "a finite number"}${limits.length > 0 ? ` ${limits.join(" and ")}` : ""}`;
  return leaf(expected, (v) =>
    typeof v === "number" &&
    (int ? Number.isSafeInteger(v) : v - v === 0) &&
    (min === undefined || v >= min) &&
    (gt === undefined || v > gt) &&
    (max === undefined || v <= max));
}

/** `true` or `false`. */
export const bool: Check<boolean> = /* @__PURE__ */ leaf("a boolean", (v) => typeof v === "boolean");

/** Anything (left to a later check). */
export const unknownValue: Check<unknown> = { expected: "any value", read: (v) => v };

/** A string of `min` to `max` characters. */
export function str(min = 0, max = Infinity): Check<string> {
  return leaf(`a string of ${min} to ${max} characters`, (v) => typeof v === "string" && v.length >= min && v.length <= max);
}

/** Exactly `value`. */
export function literal<const L extends string | number | null>(value: L): Check<L> {
  return leaf(JSON.stringify(value), (v) => v === value);
}

/** One of `values`. */
export function oneOf<const L extends string>(values: readonly L[]): Check<L> {
  const quoted = values.map((v) => JSON.stringify(v));
  return leaf(`${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`, (v) => (values as readonly unknown[]).includes(v));
}

/** `null` or what `check` admits. */
export function nullable<T>(check: Check<T>): Check<T | null> {
  return { expected: `${check.expected} or null`, read: (v) => (v === null ? null : check.read(v)) };
}

/** Absent (`undefined`) or what `check` admits; an absent field stays absent in the copy. */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return { expected: `${check.expected} or nothing`, read: (v) => (v === undefined ? undefined : check.read(v)) };
}

/** An array of at least `minLength` items, each checked. */
export function array<T>(item: Check<T>, minLength = 0): Check<T[]> {
  const expected = minLength > 0 ? `an array of at least ${minLength} items` : "an array";
  return {
    expected,
    read(v) {
      if (!Array.isArray(v) || v.length < minLength) throw new Mismatch(expected, v);
      const out = new Array<T>(v.length);
      // One try around the loop: paths are built only on failure.
      let i = 0;
      try {
        for (; i < v.length; i++) out[i] = item.read(v[i]);
      } catch (err) {
        throw within(err, i);
      }
      return out;
    },
  };
}

/** An array of exactly these items. */
export function tuple<const C extends ReadonlyArray<Check<unknown>>>(items: C): Check<{ -readonly [K in keyof C]: Infer<C[K]> }> {
  const expected = `an array of ${items.length} items`;
  return {
    expected,
    read(v) {
      if (!Array.isArray(v) || v.length !== items.length) throw new Mismatch(expected, v);
      const out: unknown[] = [];
      let i = 0;
      try {
        for (; i < items.length; i++) out.push(items[i]!.read(v[i]));
      } catch (err) {
        throw within(err, i);
      }
      return out as { -readonly [K in keyof C]: Infer<C[K]> };
    },
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An object with these fields (others are dropped from the copy, as zod's `object` does). */
export function object<S extends CheckShape>(shape: S): ObjectCheck<S> {
  return {
    expected: "an object",
    shape,
    read(v) {
      if (!isPlainObject(v)) throw new Mismatch("an object", v);
      const out: Record<string, unknown> = {};
      let key = "";
      try {
        for (key in shape) {
          const x = shape[key]!.read(v[key]);
          if (x !== undefined || key in v) out[key] = x;
        }
      } catch (err) {
        throw within(err, key);
      }
      return out as InferShape<S>;
    },
  };
}

/** An object whose every value `value` admits (keys are any strings). */
export function record<T>(value: Check<T>): Check<Record<string, T>> {
  const expected = `an object whose every value is ${value.expected}`;
  return {
    expected,
    read(v) {
      if (!isPlainObject(v)) throw new Mismatch(expected, v);
      // fromEntries defines every key as an own property, even "__proto__", so later checks see it.
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => {
          try {
            return [k, value.read(x)];
          } catch (err) {
            throw within(err, k);
          }
        }),
      );
    },
  };
}

/** What the first of `checks` that fits admits. */
export function union<const C extends ReadonlyArray<Check<unknown>>>(...checks: C): Check<Infer<C[number]>> {
  const expected = `${checks.slice(0, -1).map((c) => c.expected).join(", ")} or ${checks[checks.length - 1]!.expected}`;
  return {
    expected,
    read(v) {
      for (const c of checks) {
        try {
          return c.read(v) as Infer<C[number]>;
        } catch (err) {
          if (!(err instanceof Mismatch)) throw err;
        }
      }
      throw new Mismatch(expected, v);
    },
  };
}

/** A finite number. */
export const finite: Check<number> = /* @__PURE__ */ num();
/** A finite number ≥ 0. */
export const nonNegative: Check<number> = /* @__PURE__ */ num({ min: 0 });
/** A finite number > 0. */
export const positive: Check<number> = /* @__PURE__ */ num({ gt: 0 });
/** An integer ≥ 0 (a count). */
export const count: Check<number> = /* @__PURE__ */ num({ int: true, min: 0 });
/** An integer > 0 (a dimension). */
export const positiveInt: Check<number> = /* @__PURE__ */ num({ int: true, gt: 0 });
/** An array of finite numbers (the most common saved field). */
export const finiteNumbers: Check<number[]> = /* @__PURE__ */ array(finite);
/** Declared class labels: at least two finite numbers (the constructor checks the rest). */
export const labels: Check<number[]> = /* @__PURE__ */ array(finite, 2);

/**
 * Reads `value` with `check`; a mismatch throws `invalid_state`:
 * "`what`: `field` must be `expected`, got `value`", with `details.field` the
 * path to the offending value (`root` when it is the value itself).
 */
export function readChecked<T>(check: Check<T>, value: unknown, what: string, root: string): T {
  try {
    return check.read(value);
  } catch (err) {
    if (!(err instanceof Mismatch)) throw err;
    const field = err.path.length > 0 ? renderPath(err.path) : root;
    const observed = describeValue(err.observed);
    throw new FreshmlError("invalid_state", `${what}: ${field} must be ${err.expected}, got ${observed}`, { field, expected: err.expected, observed });
  }
}

/** The path of the first non-finite number in a value (JSON would write it as null), or null. */
export function nonFinitePath(v: unknown, path: string): string | null {
  if (typeof v === "number") return Number.isFinite(v) ? null : path;
  if (v instanceof Float64Array) {
    const i = v.findIndex((x) => !Number.isFinite(x));
    return i < 0 ? null : `${path}[${i}]`;
  }
  if (Array.isArray(v)) {
    // Numbers are checked in place (a learner's state holds arrays of thousands): no call, no path string per element.
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === "number") {
        if (!Number.isFinite(x)) return `${path}[${i}]`;
      } else if (x !== null && typeof x === "object") {
        const p = nonFinitePath(x, `${path}[${i}]`);
        if (p !== null) return p;
      }
    }
    return null;
  }
  if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      const p = nonFinitePath(x, `${path}.${k}`);
      if (p !== null) return p;
    }
  }
  return null;
}
