import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError } from "../core/errors.js";
import { count, labels, object, positiveInt } from "../core/json-checks.js";
import { ClassIndex, checkClasses, type ClassesParams } from "./classes.js";
import { checkMergeable, makeEnvelope, notFitted, openEnvelope } from "./envelope.js";
import type { Classifier, Trainer, TrainerJSON } from "./trainer.js";

const paramsCheck = object({ classes: labels });
const stateCheck = object({ d: positiveInt, n: count, last: count });

/**
 * Baseline: predicts the last class seen ("no change"). On streams with
 * persistent labels, such as Elec2, it beats logistic regression — River's
 * published results show it — so a gate must be able to compare against it.
 *
 * @example
 * ```ts
 * import { LastClassClassifier } from "freshml";
 * const m = new LastClassClassifier({ classes: [0, 1] });
 * m.update({ X: [[0], [0]], y: [0, 1] });
 * m.predict([[9]]); // Float64Array [1]
 * ```
 */
export class LastClassClassifier implements Classifier {
  readonly kind = "LastClassClassifier";
  readonly task = "classification" as const;
  readonly params: Readonly<ClassesParams>;
  readonly classes: readonly number[];
  private d: number | undefined;
  private n = 0;
  private last = 0; // class index
  private readonly index: ClassIndex;

  constructor(params: ClassesParams) {
    this.classes = checkClasses(params?.classes);
    this.params = Object.freeze({ classes: this.classes });
    this.index = new ClassIndex(this.classes);
  }

  get nFeatures(): number | undefined {
    return this.d;
  }

  get nSeen(): number {
    return this.n;
  }

  update(batch: Batch): void {
    const b = readBatch(batch, this.d);
    const yi = this.index.indexAll(b.y);
    this.d = b.cols;
    this.n += b.rows;
    this.last = yi[b.rows - 1]!;
  }

  merge(other: Trainer): void {
    checkMergeable(this, other);
    const o = other as LastClassClassifier;
    if (o.d === undefined) return;
    this.d = o.d;
    this.n += o.n;
    this.last = o.last;
  }

  predictProba(X: FeatureInput): Float64Array {
    if (this.d === undefined) throw notFitted(this.kind);
    const f = readFeatures(X, this.d);
    const k = this.classes.length;
    const out = new Float64Array(f.rows * k);
    for (let i = 0; i < f.rows; i++) out[i * k + this.last] = 1;
    return out;
  }

  predict(X: FeatureInput): Float64Array {
    if (this.d === undefined) throw notFitted(this.kind);
    return new Float64Array(readFeatures(X, this.d).rows).fill(this.classes[this.last]!);
  }

  toJSON(): TrainerJSON {
    return makeEnvelope(this.kind, { classes: this.classes.slice() }, this.d === undefined ? null : { d: this.d, n: this.n, last: this.last });
  }

  /** Restores from {@link LastClassClassifier.toJSON} output. */
  static fromJSON(json: unknown): LastClassClassifier {
    const { params, state } = openEnvelope(json, "LastClassClassifier", paramsCheck, stateCheck);
    const m = new LastClassClassifier(params);
    if (state) {
      if (state.last >= m.classes.length) {
        throw new FreshmlError("invalid_state", `last class index ${state.last} is outside the ${m.classes.length} classes`);
      }
      Object.assign(m, { d: state.d, n: state.n, last: state.last });
    }
    return m;
  }

  clone(): LastClassClassifier {
    return new LastClassClassifier(this.params);
  }

  copy(): LastClassClassifier {
    const c = this.clone();
    Object.assign(c, { d: this.d, n: this.n, last: this.last });
    return c;
  }
}
