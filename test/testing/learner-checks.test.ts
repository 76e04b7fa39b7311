import { describe, expect, it } from "vitest";
import { MeanRegressor, readBatch, type Batch } from "../../src/index.js";
import { assertLearnerConformance, learnerChecks } from "../../src/testing/index.js";
import { PassiveAggressiveRegressor } from "../../examples/custom-trainer.js";

/** A mean regressor with a planted fault, to show the suite catches it. */
function broken(fault: "mutates" | "half-updates" | "lossy-json" | "nondeterministic"): () => MeanRegressor {
  class Broken extends MeanRegressor {
    override update(batch: Batch): void {
      if (fault === "mutates" && Array.isArray(batch.y)) (batch.y as number[])[0] = 0;
      if (fault === "half-updates") {
        // Changes state before checking the input.
        (this as unknown as { n: number }).n += 1;
        readBatch(batch);
        (this as unknown as { n: number }).n -= 1;
      }
      if (fault === "nondeterministic") (this as unknown as { mean: number }).mean += Math.random() * 1e-9;
      super.update(batch);
    }
    override toJSON() {
      const j = super.toJSON();
      const state = j.state as { mean: number } | null;
      return fault === "lossy-json" && state ? { ...j, state: { ...state, mean: Math.round(state.mean) } } : j;
    }
  }
  return () => new Broken();
}

describe("the learner conformance suite", () => {
  it("passes a correct learner and the example's custom trainer", () => {
    expect(() => assertLearnerConformance({ make: () => new MeanRegressor(), exact: true })).not.toThrow();
    expect(() => assertLearnerConformance({ make: () => new PassiveAggressiveRegressor() })).not.toThrow();
  });

  it.each([
    ["mutates", /mutated/],
    ["half-updates", /changed the state/],
    ["lossy-json", /restored predictions/],
    ["nondeterministic", /two runs on the same data differ/],
  ] as const)("catches a learner that %s", (fault, message) => {
    expect(() => assertLearnerConformance({ make: broken(fault), restore: (j) => MeanRegressor.fromJSON(j) })).toThrow(message);
  });

  it("adds split, merge and forget checks only where they apply", () => {
    const names = learnerChecks({ make: () => new MeanRegressor(), exact: true }).map((c) => c.name);
    expect(names.some((n) => n.includes("any split"))).toBe(true);
    expect(names.some((n) => n.includes("merge"))).toBe(true);
    expect(names.some((n) => n.includes("forget"))).toBe(true);
    const pa = learnerChecks({ make: () => new PassiveAggressiveRegressor() }).map((c) => c.name);
    expect(pa.some((n) => n.includes("merge") || n.includes("forget") || n.includes("any split"))).toBe(false);
  });
});
