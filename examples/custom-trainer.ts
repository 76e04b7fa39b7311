/**
 * A trainer of your own: the passive-aggressive regressor (Crammer et al.,
 * 2006, PA-I), written against freshml's Trainer contract and held to the
 * same conformance suite as the built-in learners.
 *
 *   npx tsx examples/custom-trainer.ts
 */
import { pathToFileURL } from "node:url";
import { FreshmlError, readBatch, readFeatures, type Batch, type FeatureInput, type Trainer, type TrainerJSON } from "freshml";
import { assertLearnerConformance } from "freshml/testing";

interface PAParams {
  /** Aggressiveness: the largest step taken on one row. */
  C: number;
  /** Errors within epsilon cost nothing. */
  epsilon: number;
}

export class PassiveAggressiveRegressor implements Trainer {
  readonly kind = "PassiveAggressiveRegressor";
  readonly task = "regression" as const;
  readonly params: Readonly<PAParams>;
  private w: Float64Array | null = null; // weights, then the intercept
  private n = 0;

  constructor({ C = 1, epsilon = 0.1 }: Partial<PAParams> = {}) {
    if (!(C > 0) || !(epsilon >= 0)) throw new FreshmlError("invalid_params", "C must be > 0 and epsilon ≥ 0");
    this.params = Object.freeze({ C, epsilon });
  }

  get nFeatures(): number | undefined {
    return this.w ? this.w.length - 1 : undefined;
  }

  get nSeen(): number {
    return this.n;
  }

  update(batch: Batch): void {
    // readBatch checks everything first, so a bad batch throws before any change.
    const b = readBatch(batch, this.nFeatures);
    const d = b.cols;
    const w = this.w ? this.w.slice() : new Float64Array(d + 1);
    for (let i = 0; i < b.rows; i++) {
      let pred = w[d]!;
      let norm = 1; // the intercept's constant feature
      for (let j = 0; j < d; j++) {
        const x = b.X[i * d + j]!;
        pred += w[j]! * x;
        norm += x * x;
      }
      const err = b.y[i]! - pred;
      const loss = Math.abs(err) - this.params.epsilon;
      if (loss <= 0) continue; // passive
      const tau = Math.sign(err) * Math.min(this.params.C, loss / norm); // aggressive
      for (let j = 0; j < d; j++) w[j]! += tau * b.X[i * d + j]!;
      w[d]! += tau;
    }
    this.w = w;
    this.n += b.rows;
  }

  predict(X: FeatureInput): Float64Array {
    if (!this.w) throw new FreshmlError("not_fitted", "PassiveAggressiveRegressor has not learned any batch yet");
    const d = this.w.length - 1;
    const f = readFeatures(X, d);
    const out = new Float64Array(f.rows);
    for (let i = 0; i < f.rows; i++) {
      let s = this.w[d]!;
      for (let j = 0; j < d; j++) s += this.w[j]! * f.X[i * d + j]!;
      out[i] = s;
    }
    return out;
  }

  toJSON(): TrainerJSON<PAParams & Record<string, unknown>, { w: number[]; n: number }> {
    return {
      format: "freshml.trainer",
      formatVersion: 1,
      kind: this.kind,
      params: { ...this.params },
      state: this.w && { w: Array.from(this.w), n: this.n },
    };
  }

  static fromJSON(json: unknown): PassiveAggressiveRegressor {
    const j = json as TrainerJSON<PAParams, { w: number[]; n: number }>;
    if (j?.kind !== "PassiveAggressiveRegressor") throw new FreshmlError("invalid_state", "not a PassiveAggressiveRegressor");
    const m = new PassiveAggressiveRegressor(j.params);
    if (j.state) {
      m.w = Float64Array.from(j.state.w);
      m.n = j.state.n;
    }
    return m;
  }

  clone(): PassiveAggressiveRegressor {
    return new PassiveAggressiveRegressor(this.params);
  }

  copy(): PassiveAggressiveRegressor {
    const c = this.clone();
    c.w = this.w && this.w.slice();
    c.n = this.n;
    return c;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  // The same checks freshml runs on its own learners; throws listing every failure.
  assertLearnerConformance({ make: () => new PassiveAggressiveRegressor({ C: 0.5 }) });
  const pa = new PassiveAggressiveRegressor({ C: 0.5, epsilon: 0.01 });
  for (let epoch = 0; epoch < 50; epoch++) pa.update({ X: [[0], [1], [2], [3]], y: [1, 3, 5, 7] });
  console.log("conformance: passed");
  console.log("prediction at x = 4 (truth 9):", pa.predict([[4]])[0]!.toFixed(3));
}
