import { FreshmlError } from "../core/errors.js";
import type { DenseBatch } from "../core/batch.js";

/**
 * The rows a full-refit learner keeps: a growable row-major buffer (amortised
 * doubling) with an optional cap that drops the oldest rows first.
 */
export class RetainedRows {
  private X: Float64Array;
  private y: Float64Array;
  rows = 0;

  constructor(readonly cols: number, readonly maxRows: number | null) {
    this.X = new Float64Array(cols * 64);
    this.y = new Float64Array(64);
  }

  /** Appends a checked batch, then drops the oldest rows beyond the cap. */
  append(b: DenseBatch): void {
    this.reserve(this.rows + b.rows);
    this.X.set(b.X.subarray(0, b.rows * b.cols), this.rows * this.cols);
    for (let i = 0; i < b.rows; i++) this.y[this.rows + i] = b.y[i]!;
    this.rows += b.rows;
    if (this.maxRows !== null && this.rows > this.maxRows) this.removeRange(0, this.rows - this.maxRows);
  }

  /** Removes the first contiguous block of rows equal to the batch (oldest first). */
  removeBlock(b: DenseBatch): void {
    const d = this.cols;
    for (let start = 0; start + b.rows <= this.rows; start++) {
      let same = true;
      for (let i = 0; i < b.rows && same; i++) {
        if (this.y[start + i] !== b.y[i]) same = false;
        for (let j = 0; j < d && same; j++) if (this.X[(start + i) * d + j] !== b.X[i * d + j]) same = false;
      }
      if (same) {
        this.removeRange(start, b.rows);
        return;
      }
    }
    throw new FreshmlError("forget_mismatch", "the batch to forget is not among the retained rows");
  }

  /** Rows as `number[][]` and targets as `number[]` (what ml-regression takes). */
  toArrays(): { X: number[][]; y: number[] } {
    const X: number[][] = new Array(this.rows);
    for (let i = 0; i < this.rows; i++) X[i] = Array.from(this.X.subarray(i * this.cols, (i + 1) * this.cols));
    return { X, y: Array.from(this.y.subarray(0, this.rows)) };
  }

  /** A deep copy. */
  copy(): RetainedRows {
    const c = new RetainedRows(this.cols, this.maxRows);
    c.X = this.X.slice(0, Math.max(this.rows, 64) * this.cols);
    c.y = this.y.slice(0, Math.max(this.rows, 64));
    c.rows = this.rows;
    return c;
  }

  /** JSON-safe rows. */
  toJSON(): { X: number[]; y: number[] } {
    return { X: Array.from(this.X.subarray(0, this.rows * this.cols)), y: Array.from(this.y.subarray(0, this.rows)) };
  }

  /** Rebuilds from {@link RetainedRows.toJSON}. */
  static from(cols: number, maxRows: number | null, X: number[], y: number[]): RetainedRows {
    if (X.length !== y.length * cols) throw new FreshmlError("invalid_state", "retained rows and targets disagree in length");
    const r = new RetainedRows(cols, maxRows);
    r.reserve(y.length);
    r.X.set(X);
    r.y.set(y);
    r.rows = y.length;
    return r;
  }

  private reserve(rows: number): void {
    if (rows <= this.y.length) return;
    let cap = this.y.length;
    while (cap < rows) cap *= 2;
    const X = new Float64Array(cap * this.cols);
    X.set(this.X.subarray(0, this.rows * this.cols));
    const y = new Float64Array(cap);
    y.set(this.y.subarray(0, this.rows));
    this.X = X;
    this.y = y;
  }

  private removeRange(start: number, count: number): void {
    const d = this.cols;
    this.X.copyWithin(start * d, (start + count) * d, this.rows * d);
    this.y.copyWithin(start, start + count, this.rows);
    this.rows -= count;
  }
}
