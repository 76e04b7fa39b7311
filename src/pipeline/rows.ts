import { checkBatch, type CheckedBatch } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";
import { selectFeaturized, type Featurized } from "../preprocessing/featurizer.js";
import type { Column, Table } from "../validate/table.js";
import type { IssueSummary } from "./report.js";

/** What a row at fault does: sink its whole batch (`"quarantine"`), or leave the batch without it (`"drop"`). */
export type RowAction = "quarantine" | "drop";

/**
 * What rows at fault do to their batch, per rule. By default any row at
 * fault quarantines its batch (nothing of it is learned). With `"drop"` the
 * rows at fault are left out, counted (`report.rows.dropped`, each record's
 * `dropped`) and handed to the dead-letter sink, and the rest of the batch
 * goes on — unless more than `maxDropRate` of its rows are at fault: a
 * renamed column or a unit change is not a few bad rows, and its batch is
 * quarantined whole.
 *
 * @example
 * ```ts
 * import * as z from "zod";
 * import { Pipeline, LinearRegression } from "freshml";
 * const Row = z.object({ humidity: z.number().min(0).max(100), temp: z.number() });
 * const pipeline = new Pipeline({
 *   schema: Row, target: "temp", trainer: new LinearRegression({ l2: 1e-3 }),
 *   rowPolicy: { schema: "clip", implausible: "drop", maxDropRate: 0.05 },
 *   deadLetter: (letter) => console.log(letter.kind, letter.rowIndices.length),
 * });
 * ```
 */
export interface RowPolicy {
  /**
   * Rows that fail the schema. `"clip"`: a number beyond an inclusive zod
   * bound (`.min`, `.max`) is set to the bound (a humidity of 100.4 becomes
   * 100); rows still at fault are dropped. Default `"quarantine"`.
   */
  schema?: RowAction | "clip";
  /** Rows whose label the classifier does not declare. Default `"quarantine"`. */
  unknownClass?: RowAction;
  /** Rows beyond the pipeline's sanity bound (`implausible_value`). Default `"quarantine"`. */
  implausible?: RowAction;
  /** Largest share of a batch's rows that may be dropped or clipped; beyond it the batch is quarantined. Default 0.1. */
  maxDropRate?: number;
}

/** The resolved {@link RowPolicy}. */
export type RowSettings = Required<RowPolicy>;

/**
 * Rows the pipeline did not learn, handed over so that nothing is discarded
 * in silence: a quarantined batch (`kind: "batch"`, every row) or the rows
 * dropped from an accepted one (`kind: "rows"`).
 */
export interface DeadLetter {
  /** Whole quarantined batch, or rows dropped from a batch that was learned. */
  kind: "batch" | "rows";
  /** The batch's position in the stream. */
  batch: number;
  /** The batch's id, when it has one. */
  id?: string;
  /** The rows as the source gave them: row objects, or `{ x, y }` for numeric batches. */
  rows: unknown[];
  /** Their indices in the batch. */
  rowIndices: number[];
  /** Why. */
  issues: IssueSummary[];
}

/**
 * Receives {@link DeadLetter}s. It is awaited; if it throws, the run saves
 * what was learned and stops with that error (the letter's batch is then
 * not counted as consumed, so a restart meets it again).
 */
export type DeadLetterSink = (letter: DeadLetter) => void | Promise<void>;

/** Rows dropped from one accepted batch. */
export interface DroppedRows {
  /** How many. */
  rows: number;
  /** Rows clipped to a schema bound instead (learned, not dropped). */
  clipped: number;
  /** Dropped rows by issue code. */
  byCode: Record<string, number>;
}

/** Resolves the pipeline's `rowPolicy`; throws `invalid_params` on a bad one. */
export function rowSettings(policy: RowPolicy | undefined): RowSettings {
  if (policy !== undefined && (policy === null || typeof policy !== "object" || Array.isArray(policy))) {
    throw new FreshmlError("invalid_params", "rowPolicy must be an object ({ schema?, unknownClass?, implausible?, maxDropRate? })", { param: "rowPolicy" });
  }
  const s: RowSettings = { schema: "quarantine", unknownClass: "quarantine", implausible: "quarantine", maxDropRate: 0.1, ...(policy ?? {}) };
  const action = (name: string, v: unknown, allowed: readonly string[]): void => {
    if (!allowed.includes(v as string)) throw new FreshmlError("invalid_params", `rowPolicy.${name} must be ${allowed.join(" or ")}`, { param: `rowPolicy.${name}`, observed: v });
  };
  action("schema", s.schema, ["quarantine", "drop", "clip"]);
  action("unknownClass", s.unknownClass, ["quarantine", "drop"]);
  action("implausible", s.implausible, ["quarantine", "drop"]);
  if (!(typeof s.maxDropRate === "number" && s.maxDropRate >= 0 && s.maxDropRate <= 1)) {
    throw new FreshmlError("invalid_params", "rowPolicy.maxDropRate must be a number in [0, 1]", { param: "rowPolicy.maxDropRate", observed: s.maxDropRate });
  }
  return s;
}

/** The rows of a checked batch at `keep` (ascending indices), as a new checked batch. */
export function selectCheckedRows(batch: CheckedBatch, keep: readonly number[]): CheckedBatch {
  const d = batch.cols;
  const X = new Float64Array(keep.length * d);
  const y = new Float64Array(keep.length);
  keep.forEach((r, i) => {
    X.set(batch.X.subarray(r * d, r * d + d), i * d);
    y[i] = batch.y[r]!;
  });
  return checkBatch({ X, cols: d, y });
}

/** The rows of a featurised batch at `keep`, its missing cells recounted. */
export function selectFeaturizedRows(raw: Featurized, keep: readonly number[]): Featurized {
  // The featurizer's own selection: also the rows' per-field codes (its most-frequent statistics learn from them) and the counts.
  return selectFeaturized(raw, keep);
}

/** Indices 0..n-1 without those in `drop`. */
export function keptIndices(n: number, drop: ReadonlySet<number>): number[] {
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (!drop.has(i)) keep.push(i);
  return keep;
}

/** The rows of a table at `keep`. */
export function selectTableRows(table: Table, keep: readonly number[]): Table {
  const columns = new Map<string, Column>();
  for (const [name, col] of table.columns) {
    if (col.kind === "numeric") columns.set(name, { kind: "numeric", values: Float64Array.from(keep, (r) => col.values[r]!) });
    else columns.set(name, { kind: "categorical", codes: Int32Array.from(keep, (r) => col.codes[r]!), levels: col.levels });
  }
  return { rows: keep.length, columns };
}

/** A row at fault, by its index in the batch as it stands. */
export interface RowFault {
  /** Index in the current (already thinned) batch. */
  readonly row: number;
  /** Why. */
  readonly issue: IssueSummary;
}

/** The rows left out of one batch, across stages, by their indices in the batch as the source gave it. */
export class RowDrops {
  /** Original indices of the rows still in, in order (null: all of them). */
  private kept: number[] | null = null;
  /** Dropped rows: original index and why. */
  readonly dropped: Array<{ row: number; issue: IssueSummary }> = [];
  /** Rows clipped to a schema bound (kept). */
  clipped = 0;

  constructor(
    /** Rows in the batch as the source gave it. */
    readonly total: number,
  ) {}

  /** The original index of row `i` of the batch as it stands. */
  original(i: number): number {
    return this.kept ? this.kept[i]! : i;
  }

  /** Leaves `faults` out of a batch of `current` rows; returns the current indices kept. */
  drop(faults: readonly RowFault[], current: number): number[] {
    const keep = keptIndices(current, new Set(faults.map((f) => f.row)));
    for (const f of faults) this.dropped.push({ row: this.original(f.row), issue: { ...f.issue } });
    this.kept = keep.map((i) => this.original(i));
    return keep;
  }

  /** Whether more than `rate` of the batch's rows were dropped or clipped. */
  tooMany(rate: number): boolean {
    return this.dropped.length + this.clipped > rate * this.total;
  }

  /** The report's summary; null when nothing was dropped or clipped. */
  summary(): DroppedRows | null {
    if (this.dropped.length === 0 && this.clipped === 0) return null;
    const byCode: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const d of this.dropped) byCode[d.issue.code] = (byCode[d.issue.code] ?? 0) + 1;
    return { rows: this.dropped.length, clipped: this.clipped, byCode: { ...byCode } };
  }
}
