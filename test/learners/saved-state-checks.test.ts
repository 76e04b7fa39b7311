import { describe, expect, it } from "vitest";
import {
  FreshmlError,
  GaussianNB,
  HoeffdingTreeClassifier,
  HoeffdingTreeRegressor,
  LinearRegression,
  LogisticRegression,
  SGDClassifier,
  SGDRegressor,
  restoreTrainer,
  type Trainer,
} from "../../src/index.js";
import { balancedClassWeights } from "../../src/learners/class-weight.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const X = [[0, 1], [1, 0], [2, 2], [3, 1], [4, 5], [5, 3]];
const yReg = [1, 2, 4, 5, 9, 8];
const yCls = [0, 1, 0, 1, 1, 0];

function saved(t: Trainer): Json {
  return JSON.parse(JSON.stringify(t.toJSON()));
}

function refusal(json: unknown): FreshmlError {
  try {
    restoreTrainer(json);
  } catch (err) {
    expect(err).toBeInstanceOf(FreshmlError);
    return err as FreshmlError;
  }
  throw new Error("restore accepted a broken envelope");
}

describe("restore refuses malformed saved state with invalid_state naming the field (plain checks, no zod)", () => {
  it("the envelope itself", () => {
    const m = new LinearRegression();
    m.update({ X, y: yReg });
    expect(refusal(null)).toMatchObject({ code: "invalid_state", details: { field: "envelope" } });
    expect(refusal({ ...saved(m), format: "other" })).toMatchObject({
      code: "invalid_state",
      message: expect.stringMatching(/^not a freshml trainer envelope: format must be "freshml.trainer"/),
      details: { field: "format" },
    });
    expect(refusal({ ...saved(m), kind: "" }).details).toMatchObject({ field: "kind" });
    expect(refusal({ ...saved(m), params: [] }).details).toMatchObject({ field: "params" });
  });

  it("LinearRegression: params and state fields, including one number inside an array", () => {
    const m = new LinearRegression();
    m.update({ X, y: yReg });
    const a = saved(m);
    a.params.l2 = -1;
    expect(refusal(a)).toMatchObject({
      code: "invalid_state",
      message: "invalid LinearRegression params: l2 must be a finite number ≥ 0, got -1",
      details: { field: "l2", observed: "-1" },
    });
    const b = saved(m);
    b.state.d = 1.5;
    expect(refusal(b).details).toMatchObject({ field: "d", expected: "an integer > 0" });
    const c = saved(m);
    c.state.sxx[2] = null; // what JSON makes of NaN
    expect(refusal(c)).toMatchObject({ message: "invalid LinearRegression state: sxx[2] must be a finite number, got null", details: { field: "sxx[2]" } });
    const d = saved(m);
    d.state = [];
    expect(refusal(d).details).toMatchObject({ field: "state", expected: "an object" });
  });

  it("classifiers: class labels, an unknown solver, class weights", () => {
    const lr = new LogisticRegression({ classes: [0, 1], classWeight: { 1: 2 } });
    lr.update({ X, y: yCls });
    const a = saved(lr);
    a.params.solver = "sgd";
    expect(refusal(a).details).toMatchObject({ field: "solver", expected: '"ftrl"' });
    const b = saved(lr);
    b.params.classWeight = { 1: 0 };
    expect(refusal(b).details).toMatchObject({ field: "classWeight" });
    const sgd = new SGDClassifier({ classes: [0, 1, 2], classWeight: "balanced", seed: 1 });
    sgd.update({ X, y: [0, 1, 2, 0, 1, 2] });
    const c = saved(sgd);
    c.state.counts[1] = -1;
    expect(refusal(c).details).toMatchObject({ field: "counts[1]" });
    const nb = new GaussianNB({ classes: [0, 1] });
    nb.update({ X, y: yCls });
    const d = saved(nb);
    d.params.classes = [0];
    expect(refusal(d).details).toMatchObject({ field: "classes", expected: "an array of at least 2 items" });
  });

  it("SGDRegressor: an unknown schedule, a malformed standardize, a malformed scaler", () => {
    const s = new SGDRegressor({ standardize: true, seed: 1 });
    s.update({ X, y: yReg });
    const a = saved(s);
    a.params.learningRate = "fast";
    expect(refusal(a).details).toMatchObject({ field: "learningRate" });
    const b = saved(s);
    b.params.standardize = { skip: [-1] };
    expect(refusal(b).details).toMatchObject({ field: "standardize" });
    const c = saved(s);
    c.state.scaler.mean[1] = "x";
    expect(refusal(c)).toMatchObject({ message: expect.stringMatching(/^invalid OnlineStandardScaler state: mean\[1\]/), details: { field: "mean[1]" } });
  });

  it("Hoeffding trees: the path reaches into a node's leaf", () => {
    const t = new HoeffdingTreeClassifier({ classes: [0, 1] });
    t.update({ X, y: yCls });
    const a = saved(t);
    a.state.nodes[0].leaf.obs[1] = "3";
    expect(refusal(a).details).toMatchObject({ field: "nodes[0].leaf.obs[1]" });
    const r = new HoeffdingTreeRegressor();
    r.update({ X, y: yReg });
    const b = saved(r);
    b.state.nodes[0].leaf.prior = [1, 2];
    expect(refusal(b).details).toMatchObject({ field: "nodes[0].leaf.prior", expected: "an array of 3 items" });
    const c = saved(r);
    c.params.maxLeaves = 0; // fits the saved shape; the constructor refuses it
    expect(refusal(c)).toMatchObject({ code: "invalid_state", message: expect.stringMatching(/bad parameters: maxLeaves must be/) });
  });
});

describe("shared class weights", () => {
  it("balanced weights are n / (k · n_c), 1 for a class not seen, and both classifiers use them", () => {
    expect(Array.from(balancedClassWeights(Float64Array.from([2, 6, 0, 4])))).toEqual([12 / 8, 12 / 24, 1, 12 / 16]);
    const lr = new LogisticRegression({ classes: [0, 1, 2], classWeight: "balanced" });
    lr.update({ X, y: [0, 0, 0, 0, 1, 2] });
    expect(Array.from(lr.classWeights())).toEqual(Array.from(balancedClassWeights(Float64Array.from([4, 1, 1]))));
  });
});
