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
  | MissingColumnIssue;

/** The drift tests freshml runs. */
export type DriftTest = "ks" | "chi_squared" | "psi" | "jensen_shannon" | "wasserstein";

/** One column's drift score on one batch (reported whether or not it fires). */
export interface ColumnDriftScore {
  /** The column. */
  readonly column: string;
  /** The test run. */
  readonly test: DriftTest;
  /** Its statistic or distance. */
  readonly score: number;
  /** Its p-value (KS and chi-squared). */
  readonly pValue?: number;
  /** The threshold applied (to the p-value for KS and chi-squared). */
  readonly threshold: number;
  /** Whether the column drifted. */
  readonly drifted: boolean;
}

/** Drift scores of one batch. */
export interface DriftReport {
  /** Every checked column's score. */
  readonly columns: readonly ColumnDriftScore[];
  /** Share of checked columns that drifted. */
  readonly driftShare: number;
  /** Whether the share reached the dataset threshold. */
  readonly datasetDrift: boolean;
  /** Rows in the reference the batch was compared with. */
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
      return `column ${i.column} has the single value ${fmt(i.observed)}`;
    case "too_few_rows":
      return `${i.observed} rows, at least ${i.expected} needed`;
    case "label_imbalance":
      return `column ${i.column}: rarest label is ${fmt(i.observed.minShare * 100)}% of rows, at least ${fmt(i.expected * 100)}% expected`;
    case "duplicate_rows":
      return `${fmt(i.observed * 100)}% of rows repeat an earlier row, at most ${fmt(i.expected * 100)}% allowed`;
    case "distribution_drift":
      return `column ${i.column} drifted: ${i.observed.test} ${fmt(i.observed.score)}${i.observed.pValue !== undefined ? ` (p = ${fmt(i.observed.pValue)})` : ""} crosses ${fmt(i.expected)}`;
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
