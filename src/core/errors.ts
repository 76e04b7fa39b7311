/**
 * Stable, machine-readable error codes. A code never changes meaning once
 * released; new failure kinds get new codes.
 */
export type FreshmlErrorCode =
  | "empty_batch"
  | "ragged_rows"
  | "column_mismatch"
  | "non_numeric"
  | "non_finite"
  | "target_missing"
  | "target_length_mismatch"
  | "unknown_class"
  | "invalid_params"
  | "invalid_state"
  | "not_fitted"
  | "singular_system"
  | "incompatible_merge"
  | "forget_mismatch"
  | "diverged"
  | "unsupported"
  | "invalid_name"
  | "not_found"
  | "checksum_mismatch"
  | "nothing_to_roll_back"
  | "lock_timeout"
  | "run_in_progress"
  | "batch_quarantined"
  | "invalid_row"
  | "prediction_overflow"
  | "batch_too_large"
  | "unseen_level"
  | "worker_failed"
  | "store_full"
  | "store_read_only"
  | "store_corrupt"
  | "store_io"
  | "too_large"
  | "store_unavailable"
  | "store_error"
  | "lease_lost"
  | "invalid_usage"
  | "malformed_file";

/** Structured details that locate a failure. Every field is optional. */
export interface FreshmlErrorDetails {
  /** Zero-based row index within the batch. */
  row?: number;
  /** Zero-based column index within the batch. */
  column?: number;
  /** The value found (already made JSON-safe). */
  observed?: unknown;
  /** What was expected instead. */
  expected?: unknown;
  /** Anything else a caller may want to inspect. */
  [key: string]: unknown;
}

/** JSON form of a {@link FreshmlError}. */
export interface FreshmlErrorJSON {
  /** Always "FreshmlError". */
  name: string;
  /** The stable code. */
  code: FreshmlErrorCode;
  /** The readable message. */
  message: string;
  /** Where and what. */
  details: FreshmlErrorDetails;
}

/**
 * The registered symbol every {@link FreshmlError} carries. `Symbol.for` keys
 * are shared by all copies of freshml in a process (an ES module and a
 * CommonJS copy, or two versions), so {@link isFreshmlError} and
 * `instanceof FreshmlError` recognise an error from any of them.
 */
export const FRESHML_ERROR_BRAND: unique symbol = Symbol.for("freshml.error");

function branded(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[FRESHML_ERROR_BRAND] === true;
}

/**
 * The one root error of freshml. Bad input, broken invariants and misuse all
 * throw a `FreshmlError` whose `code` is stable and whose `details` say where
 * the fault is.
 *
 * @example
 * ```ts
 * import { FreshmlError, LinearRegression } from "freshml";
 * const model = new LinearRegression();
 * try {
 *   model.update({ X: [[1, NaN]], y: [1] });
 * } catch (err) {
 *   if (err instanceof FreshmlError) console.log(err.code, err.details.row, err.details.column);
 *   // "non_finite" 0 1
 * }
 * ```
 */
export class FreshmlError extends Error {
  /** Stable machine-readable code. */
  readonly code: FreshmlErrorCode;
  /** Where and what: row, column, observed, expected, and more. */
  readonly details: FreshmlErrorDetails;

  constructor(code: FreshmlErrorCode, message: string, details: FreshmlErrorDetails = {}) {
    super(message);
    this.name = "FreshmlError";
    this.code = code;
    this.details = details;
    Object.defineProperty(this, FRESHML_ERROR_BRAND, { value: true });
  }

  /**
   * `err instanceof FreshmlError` holds for a FreshmlError from any copy of
   * freshml in the process (by its registered brand); for a subclass, the
   * ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== FreshmlError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return branded(value);
  }

  /** A plain JSON-safe view, for logs and reports. */
  toJSON(): FreshmlErrorJSON {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/**
 * True when `err` is a {@link FreshmlError}, optionally with the given code.
 * Recognises errors by their registered brand, so it agrees across copies of
 * freshml (ES module and CommonJS builds, nested installs).
 *
 * @example
 * ```ts
 * import { isFreshmlError, LinearRegression } from "freshml";
 * try {
 *   new LinearRegression().predict([[1]]);
 * } catch (err) {
 *   isFreshmlError(err, "not_fitted"); // true
 * }
 * ```
 */
export function isFreshmlError(err: unknown, code?: FreshmlErrorCode): err is FreshmlError {
  return branded(err) && (code === undefined || (err as FreshmlError).code === code);
}

/** Renders an arbitrary value briefly for error messages (never throws). */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `array(${value.length})`;
  return typeof value;
}

/** Throws `invalid_params` unless `ok`. Used by constructors to check options. */
export function checkParam(ok: boolean, name: string, expected: string, observed: unknown): void {
  if (!ok) {
    throw new FreshmlError("invalid_params", `${name} must be ${expected}, got ${describeValue(observed)}`, {
      param: name,
      expected,
      observed: describeValue(observed),
    });
  }
}
