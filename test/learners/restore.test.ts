import { describe, expect, it } from "vitest";
import { GaussianNB, LinearRegression, MeanRegressor, builtinTrainers, restoreTrainer, type Trainer } from "../../src/index.js";
import { builtinTrainerKinds, ownTrainers, restoreWith } from "../../src/learners/restore.js";

const fitted = (): LinearRegression => {
  const m = new LinearRegression();
  m.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
  return m;
};

describe("restoring without the built-in registry (learners/restore.ts)", () => {
  it("builtinTrainerKinds lists builtinTrainers' kinds, in order", () => {
    expect(builtinTrainerKinds).toEqual(Object.keys(builtinTrainers));
  });

  it("ownTrainers restores the given trainers' kinds as builtinTrainers does", () => {
    const json = fitted().toJSON();
    const own = ownTrainers([new LinearRegression({ l2: 1 }), new MeanRegressor(), undefined, null]);
    const back = restoreWith(json, own);
    expect(back).toBeInstanceOf(LinearRegression);
    expect(back.toJSON()).toEqual(restoreTrainer(json).toJSON());
    expect(Object.keys(own)).toEqual(Object.keys(builtinTrainers));
  });

  it("another built-in kind is invalid_state naming the kinds it has and builtinTrainers; an unknown kind gets restoreTrainer's error", () => {
    const own = ownTrainers([new LinearRegression()]);
    const nb = new GaussianNB({ classes: [0, 1] }).toJSON();
    expect(() => restoreWith(nb, own)).toThrowError(
      expect.objectContaining({ code: "invalid_state", message: expect.stringContaining("pass registry: builtinTrainers"), details: { param: "registry", observed: "GaussianNB", expected: ["LinearRegression"] } }),
    );
    const nope = { ...fitted().toJSON(), kind: "Nope" };
    let fromBuiltins: unknown;
    try {
      restoreTrainer(nope);
    } catch (err) {
      fromBuiltins = err;
    }
    expect(() => restoreWith(nope, own)).toThrowError(expect.objectContaining({ code: "invalid_state", message: (fromBuiltins as Error).message, details: (fromBuiltins as { details: unknown }).details }));
  });

  it("a trainer that only claims a built-in kind, or has no fromJSON, adds nothing", () => {
    const impostor = { ...new MeanRegressor(), kind: "MeanRegressor" } as unknown as Trainer; // a plain object: its constructor is Object
    expect(() => restoreWith(new MeanRegressor().toJSON(), ownTrainers([impostor]))).toThrowError(expect.objectContaining({ details: expect.objectContaining({ param: "registry", expected: [] }) }));
  });

  it("the registry snippet an unknown kind's error suggests is valid JavaScript for a kind that is not an identifier", () => {
    const snippetOf = (message: string): string => message.slice(message.indexOf("{ ...builtinTrainers"));
    for (const kind of ["PassiveAggressiveRegressor", "acme.PassiveAggressive", "my-trainer"]) {
      const err = (() => {
        try {
          restoreWith({ ...fitted().toJSON(), kind }, builtinTrainers);
        } catch (e) {
          return e as Error;
        }
        throw new Error("restored an unknown kind");
      })();
      const snippet = snippetOf(err.message);
      expect(snippet).toContain(kind);
      // Compiled, not run: a SyntaxError is what the user would get pasting it.
      expect(() => new Function("builtinTrainers", "YourTrainer", kind.replace(/\W/g, "_"), `return ${snippet};`)).not.toThrow();
    }
  });
});
