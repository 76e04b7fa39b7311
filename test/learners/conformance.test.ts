import { describe, it } from "vitest";
import {
  FullRefitLinearRegression,
  FullRefitPolynomialRegression,
  GaussianNB,
  HoeffdingTreeClassifier,
  HoeffdingTreeRegressor,
  LastClassClassifier,
  LastValueRegressor,
  LinearRegression,
  LogisticRegression,
  MajorityClassifier,
  MeanRegressor,
  RecursiveLeastSquares,
  SGDClassifier,
  SGDRegressor,
  type Trainer,
} from "../../src/index.js";
import { learnerChecks, type LearnerCheckOptions } from "../../src/testing/index.js";

const suites: Array<[string, LearnerCheckOptions]> = [
  ["LinearRegression", { make: () => new LinearRegression(), exact: true }],
  ["LinearRegression ridge", { make: () => new LinearRegression({ l2: 0.5 }), exact: true }],
  ["LinearRegression no intercept", { make: () => new LinearRegression({ fitIntercept: false }), exact: true }],
  ["RecursiveLeastSquares λ=1", { make: () => new RecursiveLeastSquares({ forgetting: 1 }), exact: true, tolerance: 1e-7 }],
  ["RecursiveLeastSquares λ=0.98", { make: () => new RecursiveLeastSquares({ forgetting: 0.98 }) }],
  ["SGDRegressor", { make: () => new SGDRegressor({ seed: 3 }) }],
  ["SGDRegressor huber adagrad", { make: () => new SGDRegressor({ loss: "huber", learningRate: "adagrad", seed: 3 }) }],
  ["SGDRegressor standardized", { make: () => new SGDRegressor({ standardize: true, seed: 4 }) }],
  ["SGDClassifier binary", { make: () => new SGDClassifier({ classes: [0, 1], seed: 5 }) }],
  ["SGDClassifier softmax", { make: () => new SGDClassifier({ classes: [3, 1, 2], seed: 5, learningRate: "invscaling", eta0: 0.1 }) }],
  ["LogisticRegression binary", { make: () => new LogisticRegression({ classes: [0, 1] }) }],
  ["LogisticRegression multinomial l1 balanced", { make: () => new LogisticRegression({ classes: [3, 1, 2], l1: 0.1, classWeight: "balanced" }) }],
  ["LogisticRegression l2PerRow weighted", { make: () => new LogisticRegression({ classes: [0, 1], l2: 0, l2PerRow: 0.01, classWeight: { 1: 3 } }) }],
  ["LogisticRegression raw columns", { make: () => new LogisticRegression({ classes: [0, 1], standardize: false }) }],
  ["LogisticRegression standardize skip", { make: () => new LogisticRegression({ classes: [0, 1], standardize: { skip: [0] } }) }],
  ["SGDClassifier balanced", { make: () => new SGDClassifier({ classes: [0, 1, 2], seed: 5, classWeight: "balanced", learningRate: "invscaling", eta0: 0.1 }) }],
  ["GaussianNB", { make: () => new GaussianNB({ classes: [0, 1, 2] }), exact: true }],
  ["MeanRegressor", { make: () => new MeanRegressor(), exact: true }],
  ["LastValueRegressor", { make: () => new LastValueRegressor() }],
  ["MajorityClassifier", { make: () => new MajorityClassifier({ classes: [0, 1] }), exact: true }],
  ["LastClassClassifier", { make: () => new LastClassClassifier({ classes: [0, 1] }) }],
  ["FullRefitLinearRegression", { make: () => new FullRefitLinearRegression(), exact: true, tolerance: 1e-7 }],
  ["FullRefitPolynomialRegression", { make: () => new FullRefitPolynomialRegression({ degree: 2 }), exact: true, nFeatures: 1, tolerance: 1e-6 }],
  ["HoeffdingTreeClassifier binary", { make: () => new HoeffdingTreeClassifier({ classes: [0, 1], gracePeriod: 20 }) }],
  ["HoeffdingTreeClassifier multiclass mc", { make: () => new HoeffdingTreeClassifier({ classes: [3, 1, 2], gracePeriod: 20, leafPrediction: "mc" }) }],
  ["HoeffdingTreeClassifier unsplit (merge)", { make: () => new HoeffdingTreeClassifier({ classes: [0, 1, 2] }) }],
  ["HoeffdingTreeRegressor", { make: () => new HoeffdingTreeRegressor({ gracePeriod: 20, bins: 8 }) }],
  ["HoeffdingTreeRegressor unsplit (merge)", { make: () => new HoeffdingTreeRegressor() }],
];

for (const [name, options] of suites) {
  describe(`conformance: ${name}`, () => {
    for (const check of learnerChecks(options)) it(check.name, () => check.run());
  });
}

// Keep the Trainer type import honest: every suite's learner is a Trainer.
const _typecheck: Trainer[] = suites.map(([, o]) => o.make());
void _typecheck;
