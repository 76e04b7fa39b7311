import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";
import { finiteNumbers, labels, object, positiveInt } from "../core/json-checks.js";
import { ClassIndex, checkClasses, type ClassesParams } from "./classes.js";
import { checkLength, checkMergeable, makeEnvelope, notFitted, openEnvelope, checkCounts } from "./envelope.js";
import type { Classifier, Trainer, TrainerJSON } from "./trainer.js";

const paramsCheck = object({ classes: labels });
const stateCheck = object({ d: positiveInt, counts: finiteNumbers });

/**
 * Baseline: predicts the most frequent class seen (ties go to the class
 * declared first); probabilities are the class frequencies. Exact, mergeable
 * and forgettable.
 *
 * @example
 * ```ts
 * import { MajorityClassifier } from "freshml";
 * const m = new MajorityClassifier({ classes: [0, 1] });
 * m.update({ X: [[0], [0], [0]], y: [1, 1, 0] });
 * m.predict([[9]]); // Float64Array [1]
 * ```
 */
export class MajorityClassifier implements Classifier {
  readonly kind = "MajorityClassifier";
  readonly task = "classification" as const;
  readonly params: Readonly<ClassesParams>;
  readonly classes: readonly number[];
  private d: number | undefined;
  private counts: Float64Array;
  private readonly index: ClassIndex;

  constructor(params: ClassesParams) {
    this.classes = checkClasses(params?.classes);
    this.params = Object.freeze({ classes: this.classes });
    this.index = new ClassIndex(this.classes);
    this.counts = new Float64Array(this.classes.length);
  }

  get nFeatures(): number | undefined {
    return this.d;
  }

  get nSeen(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  update(batch: Batch): void {
    const b = readBatch(batch, this.d);
    const yi = this.index.indexAll(b.y);
    this.d = b.cols;
    for (let i = 0; i < b.rows; i++) this.counts[yi[i]!]!++;
  }

  forget(batch: Batch): void {
    if (this.d === undefined) throw notFitted(this.kind);
    const b = readBatch(batch, this.d);
    const yi = this.index.indexAll(b.y);
    const next = this.counts.slice();
    for (let i = 0; i < b.rows; i++) next[yi[i]!]!--;
    const bad = next.findIndex((c) => c < 0);
    if (bad >= 0) {
      throw new FreshmlError("forget_mismatch", `cannot forget more rows of class ${this.classes[bad]} than were learned`, {
        observed: this.classes[bad],
      });
    }
    this.counts = next;
  }

  merge(other: Trainer): void {
    checkMergeable(this, other);
    const o = other as MajorityClassifier;
    if (o.d === undefined) return;
    this.d = o.d;
    for (let c = 0; c < this.counts.length; c++) this.counts[c]! += o.counts[c]!;
  }

  predictProba(X: FeatureInput): Float64Array {
    if (this.d === undefined) throw notFitted(this.kind);
    const f = readFeatures(X, this.d);
    const k = this.classes.length;
    const n = this.nSeen;
    const out = new Float64Array(f.rows * k);
    for (let i = 0; i < f.rows; i++) for (let c = 0; c < k; c++) out[i * k + c] = n > 0 ? this.counts[c]! / n : 1 / k;
    return out;
  }

  predict(X: FeatureInput): Float64Array {
    if (this.d === undefined) throw notFitted(this.kind);
    const f = readFeatures(X, this.d);
    let best = 0;
    for (let c = 1; c < this.counts.length; c++) if (this.counts[c]! > this.counts[best]!) best = c;
    return new Float64Array(f.rows).fill(this.classes[best]!);
  }

  toJSON(): TrainerJSON {
    return makeEnvelope(this.kind, { classes: this.classes.slice() }, this.d === undefined ? null : { d: this.d, counts: Array.from(this.counts) });
  }

  /** Restores from {@link MajorityClassifier.toJSON} output. */
  static fromJSON(json: unknown): MajorityClassifier {
    const { params, state } = openEnvelope(json, "MajorityClassifier", paramsCheck, stateCheck);
    const m = new MajorityClassifier(params);
    if (state) {
      checkLength("counts", state.counts, m.classes.length);
      checkCounts("MajorityClassifier", "counts", state.counts);
      m.d = state.d;
      m.counts = Float64Array.from(state.counts);
    }
    return m;
  }

  clone(): MajorityClassifier {
    return new MajorityClassifier(this.params);
  }

  copy(): MajorityClassifier {
    const c = this.clone();
    c.d = this.d;
    c.counts = this.counts.slice();
    return c;
  }
}
