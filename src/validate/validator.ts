import { FreshmlError } from "../core/errors.js";
import type { DriftCheckState } from "./drift-check.js";
import type { QualityState } from "./quality.js";
import type { Table } from "./table.js";

/** `error` quarantines the batch; `warn` lets it through and reports it. */
export type Severity = "error" | "warn";

interface IssueBase {
  /** error quarantines; warn reports. */
  readonly severity: Severity;
  /** The column concerned, when there is one. */
  readonly column?: string;
  /** A readable sentence, built only when read. */
  readonly message: string;
}

/** Lower and upper bounds. */
export interface Range {
  /** Smallest value allowed. */
  readonly min: number;
  /** Largest value allowed. */
  readonly max: number;
}

/** A row that does not match the schema (zod's own issue). */
export interface SchemaIssue extends IssueBase {
  /** Discriminant: "schema". */
  readonly code: "schema";
  /** Zero-based row in the batch. */
  readonly row: number;
  /** Path inside the row, e.g. ["hour"]. */
  readonly path: ReadonlyArray<string | number>;
  /** zod's issue code, e.g. "too_big". */
  readonly zodCode: string;
  /** zod's issue, as it gave it (minus its message, which is `message`). */
  readonly zodIssue: Readonly<Record<string, unknown>>;
}

/** More missing (or NaN) values in a column than allowed. */
export interface MissingRateIssue extends IssueBase {
  /** Discriminant: "missing_rate". */
  readonly code: "missing_rate";
  readonly column: string;
  /** The share missing. */
  readonly observed: number;
  /** The largest share allowed. */
  readonly expected: number;
}

/** Values outside the allowed range. */
export interface OutOfRangeIssue extends IssueBase {
  /** Discriminant: "out_of_range". */
  readonly code: "out_of_range";
  readonly column: string;
  /** How many, and the extremes seen. */
  readonly observed: OutOfRangeObservation;
  /** The allowed range. */
  readonly expected: Range;
}

/** What an out-of-range check saw. */
export interface OutOfRangeObservation {
  /** Values outside the range. */
  readonly count: number;
  /** Smallest value seen. */
  readonly min: number;
  /** Largest value seen. */
  readonly max: number;
}

/** A column with a single value in the batch. */
export interface ConstantColumnIssue extends IssueBase {
  /** Discriminant: "constant_column". */
  readonly code: "constant_column";
  readonly column: string;
  /** The one value. */
  readonly observed: number | string;
}

/** Fewer rows than the minimum. */
export interface TooFewRowsIssue extends IssueBase {
  /** Discriminant: "too_few_rows". */
  readonly code: "too_few_rows";
  /** Rows in the batch. */
  readonly observed: number;
  /** Rows needed. */
  readonly expected: number;
}

/** The rarest label is rarer than allowed. */
export interface LabelImbalanceIssue extends IssueBase {
  /** Discriminant: "label_imbalance". */
  readonly code: "label_imbalance";
  readonly column: string;
  /** The rarest label's share and the counts per label. */
  readonly observed: LabelBalance;
  /** The smallest share allowed. */
  readonly expected: number;
}

/** Label counts of a batch. */
export interface LabelBalance {
  /** Share of the rarest label. */
  readonly minShare: number;
  /** Rows per label. */
  readonly counts: Readonly<Record<string, number>>;
}

/** More duplicated rows than allowed. */
export interface DuplicateRowsIssue extends IssueBase {
  /** Discriminant: "duplicate_rows". */
  readonly code: "duplicate_rows";
  /** Share of rows that repeat an earlier row of the batch. */
  readonly observed: number;
  /** Largest share allowed. */
  readonly expected: number;
}

/** A column whose distribution moved away from the reference. */
export interface DistributionDriftIssue extends IssueBase {
  /** Discriminant: "distribution_drift". */
  readonly code: "distribution_drift";
  readonly column: string;
  /** The test and its score (and p-value, for KS and chi-squared). */
  readonly observed: DriftObservation;
  /** The threshold crossed. */
  readonly expected: number;
}

/** A drift test's outcome on one column. */
export interface DriftObservation {
  /** Which test. */
  readonly test: DriftTest;
  /** Its statistic or distance. */
  readonly score: number;
  /** Its p-value, for KS and chi-squared. */
  readonly pValue?: number;
}

/** ±Infinity values in a numeric column: never compared as if they were ordinary values. */
export interface NonFiniteIssue extends IssueBase {
  /** Discriminant: "non_finite". */
  readonly code: "non_finite";
  readonly column: string;
  /** How many values were +Infinity or −Infinity. */
  readonly observed: number;
  /** How many are allowed (0). */
  readonly expected: number;
}

/** Columns missing from the batch, or present but of the wrong kind. */
export interface MissingColumnIssue extends IssueBase {
  /** Discriminant: "missing_column". */
  readonly code: "missing_column";
  readonly column: string;
}

/** Every kind of issue a validator reports: a discriminated union on `code`. */
export type ValidationIssue =
  | SchemaIssue
  | MissingRateIssue
  | OutOfRangeIssue
  | ConstantColumnIssue
  | TooFewRowsIssue
  | LabelImbalanceIssue
  | DuplicateRowsIssue
  | DistributionDriftIssue
  | NonFiniteIssue
  | MissingColumnIssue;

/** The drift tests freshml runs. */
export type DriftTest = "ks" | "chi_squared" | "fisher_exact" | "psi" | "jensen_shannon" | "wasserstein";

/** Whether a column (or a batch) drifted, did not, or could not be judged. */
export type DriftStatus = "drifted" | "stable" | "not_assessed";

/**
 * One column's drift outcome on one batch (reported whether or not it fires).
 * A column the check could not judge (too few values, no reference yet, a
 * kind other than the reference's) has `status: "not_assessed"`, `drifted:
 * false`, `score: null` and a `reason`: it is neither drift nor no drift.
 */
export interface ColumnDriftScore {
  /** The column. */
  readonly column: string;
  /** The test run (or that would have run). */
  readonly test: DriftTest;
  /** drifted, stable, or not_assessed. */
  readonly status: DriftStatus;
  /** Its statistic or distance; null when not assessed. Always finite when present. */
  readonly score: number | null;
  /** Its p-value (KS, chi-squared, Fisher). */
  readonly pValue?: number;
  /** The threshold applied (to the p-value for KS, chi-squared and Fisher). */
  readonly threshold: number;
  /** Whether the column drifted (status "drifted"). */
  readonly drifted: boolean;
  /** Values compared from the batch (present ones; ±Infinity included, NaN not). */
  readonly rows: number;
  /** Values in the reference it was compared with. */
  readonly referenceRows: number;
  /** ±Infinity values in the batch's column (also a quality issue, `non_finite`). */
  readonly nonFinite: number;
  /** Why the column was not assessed. */
  readonly reason?: string;
}

/** Drift scores of one batch. */
export interface DriftReport {
  /** Every checked column's outcome, including the ones not assessed. */
  readonly columns: readonly ColumnDriftScore[];
  /** "drifted" when the dataset drifted, "stable" when it did not, "not_assessed" when no column could be judged. */
  readonly status: DriftStatus;
  /** Share of assessed columns that drifted (each at its own threshold). */
  readonly driftShare: number;
  /**
   * Whether the dataset drifted; null when no column was assessed. A column
   * counts toward it when it drifted at the dataset level: p-value below
   * `datasetAlpha` (distance tests: at their threshold), and the dataset drifts
   * when the share of such columns reaches the share threshold.
   */
  readonly datasetDrift: boolean | null;
  /** Share of assessed columns drifted at the dataset level. */
  readonly datasetDriftShare: number;
  /**
   * The per-column p-value level used for the dataset decision: α · r / k for
   * k assessed p-value columns and r = ⌈share · k⌉ needed, which keeps the
   * chance of a false dataset alarm at most α whatever the dependence between
   * columns (Markov's inequality on the count of false column alarms).
   */
  readonly datasetAlpha: number;
  /** Rows in the largest column reference the batch was compared with. */
  readonly referenceRows: number;
}

/** What a validator returns: a value, never an exception, for bad data. */
export interface ValidationResult {
  /** False when any issue has severity `error`: the batch is quarantined. */
  readonly ok: boolean;
  /** Every issue of every validator, in order. */
  readonly issues: readonly ValidationIssue[];
  /** Drift scores, when a drift validator ran. */
  readonly drift?: DriftReport;
  /** Schema issues beyond the first N that were counted, not kept. */
  readonly issuesOmitted?: number;
}

/** What a validator is told besides the batch. */
export interface ValidationContext {
  /** Zero-based index of the batch in its run. */
  readonly batchIndex: number;
}

/**
 * Checks a batch before anything learns from it. `validate` returns issues
 * as values; `accept`, when present, is called with each batch that passed
 * (a drift validator builds its reference from them).
 *
 * @example A validator of your own
 * ```ts
 * import { issue, type Validator } from "freshml";
 * const noNegativeLoad: Validator = {
 *   name: "no-negative-load",
 *   validate(table) {
 *     const load = table.columns.get("load");
 *     const bad = load?.kind === "numeric" ? load.values.filter((v) => v < 0).length : 0;
 *     return bad === 0 ? { ok: true, issues: [] } : {
 *       ok: false,
 *       issues: [issue({ code: "out_of_range", severity: "error", column: "load", observed: { count: bad, min: -1, max: 0 }, expected: { min: 0, max: Infinity } })],
 *     };
 *   },
 * };
 * ```
 */
export interface Validator {
  /** A short name for reports. */
  readonly name: string;
  /** Checks a batch. */
  validate(table: Table, context: ValidationContext): ValidationResult;
  /** Learns from a batch that passed every validator (optional). */
  accept?(table: Table): void;
  /** What the validator has learned (reference, learned ranges), JSON-safe; absent for stateless validators. */
  toJSON?(): ValidatorState;
  /** Puts back a state from `toJSON` (throws `invalid_state` for anything else, and then changes nothing). */
  restore?(state: unknown): void;
}

/**
 * The saved state of a validator that learns from accepted batches:
 * {@link driftCheck}'s reference or {@link qualityChecks}' learned ranges and
 * value counts. Plain JSON; save it with the model and give it back to
 * `restore` after a restart, so a new process judges batches as the old one did.
 */
export type ValidatorState = DriftCheckState | QualityState;

/** The states of a list of validators, by position (null for a stateless one). */
export function saveValidators(validators: readonly Validator[]): Array<ValidatorState | null> {
  return validators.map((v) => (v.toJSON ? v.toJSON() : null));
}

/**
 * Restores states saved by {@link saveValidators} into validators built with
 * the same options, by position. Throws `invalid_state` (and restores nothing)
 * when the list does not match: a different length, a state for a stateless
 * validator, or a state a validator refuses.
 */
export function restoreValidators(validators: readonly Validator[], states: unknown): void {
  if (!Array.isArray(states) || states.length !== validators.length) {
    throw new FreshmlError("invalid_state", `validator states: expected an array of ${validators.length}, got ${Array.isArray(states) ? `an array of ${states.length}` : typeof states}`);
  }
  // A state for a stateless validator fails before anything changes; a state a validator refuses puts the others back.
  states.forEach((s, i) => {
    const v = validators[i]!;
    if (s === null) return;
    if (!v.restore) throw new FreshmlError("invalid_state", `validator ${i} (${v.name}) keeps no state, but a state was given`);
  });
  const before = validators.map((v) => (v.toJSON ? v.toJSON() : null));
  try {
    states.forEach((s, i) => {
      if (s !== null) validators[i]!.restore!(s);
    });
  } catch (err) {
    before.forEach((s, i) => {
      if (s !== null) validators[i]!.restore!(s);
    });
    throw err;
  }
}

type WithoutMessage<T> = T extends unknown ? Omit<T, "message"> : never;

/** An issue with its lazily built message. */
export type WithMessage<T> = T & {
  /** The readable sentence (built on first read). */
  readonly message: string;
};

/** Builds an issue whose `message` is composed only when read (building messages is the slow part). */
export function issue<T extends WithoutMessage<ValidationIssue>>(fields: T, message?: () => string): WithMessage<T> {
  let cached: string | undefined;
  const out = { ...fields } as T & { message: string };
  Object.defineProperty(out, "message", {
    enumerable: true,
    get: () => (cached ??= message ? message() : describeIssue(fields)),
  });
  return out;
}

function fmt(v: unknown): string {
  return typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : JSON.stringify(v);
}

/** A default sentence for an issue. */
export function describeIssue(i: WithoutMessage<ValidationIssue>): string {
  switch (i.code) {
    case "schema":
      return `row ${i.row}${i.path.length ? `, ${i.path.join(".")}` : ""}: ${i.zodCode}`;
    case "missing_rate":
      return `column ${i.column}: ${fmt(i.observed * 100)}% missing, at most ${fmt(i.expected * 100)}% allowed`;
    case "out_of_range":
      return `column ${i.column}: ${i.observed.count} values outside [${fmt(i.expected.min)}, ${fmt(i.expected.max)}] (seen ${fmt(i.observed.min)} to ${fmt(i.observed.max)})`;
    case "constant_column":
      return `column ${i.column} has the single value ${fmt(i.observed)}, which the accepted batches made unlikely`;
    case "too_few_rows":
      return `${i.observed} rows, at least ${i.expected} needed`;
    case "label_imbalance":
      return `column ${i.column}: rarest label is ${fmt(i.observed.minShare * 100)}% of rows, at least ${fmt(i.expected * 100)}% expected`;
    case "duplicate_rows":
      return `${fmt(i.observed * 100)}% of rows repeat an earlier row, at most ${fmt(i.expected * 100)}% allowed`;
    case "distribution_drift":
      return `column ${i.column} drifted: ${i.observed.test} ${fmt(i.observed.score)}${i.observed.pValue !== undefined ? ` (p = ${fmt(i.observed.pValue)})` : ""} crosses ${fmt(i.expected)}`;
    case "non_finite":
      return `column ${i.column}: ${i.observed} infinite values, at most ${i.expected} allowed`;
    case "missing_column":
      return `column ${i.column} is missing or of the wrong kind`;
  }
}

/**
 * Runs validators in order and merges their results: every issue of every
 * validator is reported; `ok` is false if any issue is an error.
 */
export function runValidators(validators: readonly Validator[], table: Table, context: ValidationContext): ValidationResult {
  const issues: ValidationIssue[] = [];
  let drift: DriftReport | undefined;
  for (const v of validators) {
    const r = v.validate(table, context);
    issues.push(...r.issues);
    if (r.drift) drift = r.drift;
  }
  return { ok: !issues.some((i) => i.severity === "error"), issues, ...(drift ? { drift } : {}) };
}

/** Issues of one code and column, counted (see {@link groupIssues}). */
export interface IssueGroup {
  /** The issue code. */
  readonly code: ValidationIssue["code"];
  /** The column, when the issues name one. */
  readonly column?: string;
  /** "error" if any issue of the group is an error, else "warn". */
  readonly severity: Severity;
  /** How many issues fell in the group. */
  readonly count: number;
  /** The first rows at fault (schema issues), at most `maxRows`, in batch order. */
  readonly firstRows: readonly number[];
  /** The first issues' observed and expected values, at most `maxExamples`. */
  readonly examples: readonly IssueExample[];
  /** The first issue's message. */
  readonly message: string;
}

/** One issue's observed and expected values, kept in an {@link IssueGroup}. */
export interface IssueExample {
  /** What was seen (the issue's `observed`; for schema issues zod's code and the path). */
  readonly observed?: unknown;
  /** What was expected (the issue's `expected`). */
  readonly expected?: unknown;
  /** The row, for schema issues. */
  readonly row?: number;
}

/** Limits of {@link groupIssues}. */
export interface GroupIssuesOptions {
  /** Rows kept per group. Default 5. */
  maxRows?: number;
  /** Examples kept per group. Default 3. */
  maxExamples?: number;
}

/**
 * Groups issues by code and column, in order of first appearance, with a
 * count, the first rows at fault and the first observed/expected values: a
 * batch with a renamed column and 71 out-of-range values reads as two lines,
 * not 20 identical ones. Schema issues group by the field they name.
 *
 * @example
 * ```ts
 * import { groupIssues, schemaValidator } from "freshml";
 * import * as z from "zod";
 * const r = schemaValidator(z.object({ t: z.number().max(50) })).check([{ t: 60 }, { t: 70 }, { t: 20 }]);
 * groupIssues(r.issues); // [{ code: "schema", column: "t", count: 2, firstRows: [0, 1], … }]
 * ```
 */
export function groupIssues(issues: readonly ValidationIssue[], options: GroupIssuesOptions = {}): IssueGroup[] {
  const { maxRows = 5, maxExamples = 3 } = options;
  type Mutable = { code: ValidationIssue["code"]; column?: string; severity: Severity; count: number; firstRows: number[]; examples: IssueExample[]; message: string };
  const groups = new Map<string, Mutable>();
  for (const i of issues) {
    const key = JSON.stringify([i.code, i.column ?? null]);
    let g = groups.get(key);
    if (!g) {
      g = { code: i.code, ...(i.column !== undefined ? { column: i.column } : {}), severity: i.severity, count: 0, firstRows: [], examples: [], message: i.message };
      groups.set(key, g);
    }
    g.count++;
    if (i.severity === "error") g.severity = "error";
    if (i.code === "schema" && g.firstRows.length < maxRows) g.firstRows.push(i.row);
    if (g.examples.length < maxExamples) {
      if (i.code === "schema") g.examples.push({ row: i.row, observed: { zodCode: i.zodCode, path: i.path }, ...("expected" in i.zodIssue ? { expected: i.zodIssue.expected } : {}) });
      else {
        const o = i as { observed?: unknown; expected?: unknown };
        g.examples.push({ ...("observed" in o ? { observed: o.observed } : {}), ...("expected" in o ? { expected: o.expected } : {}) });
      }
    }
  }
  return [...groups.values()];
}
