import { FreshmlError } from "../core/errors.js";
import type { Table } from "../validate/table.js";

/** How a table's columns become a feature matrix and a target. */
export interface FeatureLayout {
  /** Output column names: a numeric column keeps its name; an enum becomes `name=level` per level (one-hot). */
  readonly names: readonly string[];
  /** The target's labels when it is categorical (the class of code i is i). */
  readonly targetLevels: readonly string[] | null;
}

/** A featurised batch. */
export interface Featurized {
  /** Row-major features. */
  X: Float64Array;
  /** Feature count. */
  cols: number;
  /** Targets. */
  y: Float64Array;
}

/**
 * Turns a validated table into a dense row-major feature matrix: numeric and
 * boolean columns as they are, categorical columns one-hot over their levels
 * (levels fixed by the schema, so the layout never changes between batches),
 * and the target as numbers (a categorical target as its level index).
 * Missing values stay NaN; the learner rejects them, so set `maxMissingRate: 0`
 * or give the field a default.
 */
export class Featurizer {
  /** Output columns and target levels. */
  readonly layout: FeatureLayout;
  private readonly parts: Array<{ column: string; levels: readonly string[] | null }>;

  /**
   * @param features - the feature columns, in order
   * @param target - the target column
   * @param levelsOf - a categorical column's levels (null for a numeric one)
   */
  constructor(
    /** The feature columns, in order. */
    readonly features: readonly string[],
    /** The target column. */
    readonly target: string,
    levelsOf: (column: string) => readonly string[] | null,
  ) {
    this.parts = features.map((f) => ({ column: f, levels: levelsOf(f) }));
    const names: string[] = [];
    for (const p of this.parts) {
      if (p.levels) for (const l of p.levels) names.push(`${p.column}=${l}`);
      else names.push(p.column);
    }
    this.layout = { names, targetLevels: levelsOf(target) };
  }

  /** Feature matrix and target of a table. */
  transform(table: Table): Featurized {
    const n = table.rows;
    const d = this.layout.names.length;
    const X = new Float64Array(n * d);
    let offset = 0;
    for (const p of this.parts) {
      const col = table.columns.get(p.column);
      if (!col) throw new FreshmlError("column_mismatch", `feature ${p.column} is not in the batch`, { field: p.column });
      if (p.levels) {
        if (col.kind !== "categorical") throw new FreshmlError("column_mismatch", `feature ${p.column} should be categorical`);
        // Map the batch's level codes onto the schema's level order.
        const map = col.levels.map((l) => p.levels!.indexOf(l));
        for (let i = 0; i < n; i++) {
          const c = col.codes[i]!;
          const k = c >= 0 ? map[c]! : -1;
          if (k >= 0) X[i * d + offset + k] = 1;
          else for (let j = 0; j < p.levels.length; j++) X[i * d + offset + j] = NaN;
        }
        offset += p.levels.length;
      } else {
        if (col.kind !== "numeric") throw new FreshmlError("column_mismatch", `feature ${p.column} should be numeric`);
        const v = col.values;
        for (let i = 0, o = offset; i < n; i++, o += d) X[o] = v[i]!;
        offset++;
      }
    }
    const t = table.columns.get(this.target);
    if (!t) throw new FreshmlError("target_missing", `target ${this.target} is not in the batch`, { field: this.target });
    let y: Float64Array;
    if (t.kind === "numeric") y = t.values;
    else {
      const levels = this.layout.targetLevels ?? t.levels;
      const map = t.levels.map((l) => levels.indexOf(l));
      y = new Float64Array(n);
      for (let i = 0; i < n; i++) y[i] = t.codes[i]! >= 0 ? map[t.codes[i]!]! : NaN;
    }
    return { X, cols: d, y };
  }
}
