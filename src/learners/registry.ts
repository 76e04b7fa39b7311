import { FullRefitLinearRegression } from "./full-refit-linear.js";
import { FullRefitPolynomialRegression } from "./full-refit-polynomial.js";
import { GaussianNB } from "./gaussian-nb.js";
import { HoeffdingTreeClassifier } from "./hoeffding-tree-classifier.js";
import { HoeffdingTreeRegressor } from "./hoeffding-tree-regressor.js";
import { LastClassClassifier } from "./last-class-classifier.js";
import { LastValueRegressor } from "./last-value-regressor.js";
import { LinearRegression } from "./linear-regression.js";
import { LogisticRegression } from "./logistic-regression.js";
import { MajorityClassifier } from "./majority-classifier.js";
import { MeanRegressor } from "./mean-regressor.js";
import { RecursiveLeastSquares } from "./recursive-least-squares.js";
import { SGDClassifier } from "./sgd-classifier.js";
import { SGDRegressor } from "./sgd-regressor.js";
import { restoreWith, type TrainerRegistry } from "./restore.js";
import type { Trainer } from "./trainer.js";

export type { TrainerRegistry } from "./restore.js";

/**
 * The built-in trainers, keyed by kind. Extend it with your own:
 * `{ ...builtinTrainers, MyTrainer: MyTrainer.fromJSON }`.
 */
export const builtinTrainers: TrainerRegistry = Object.freeze({
  LinearRegression: LinearRegression.fromJSON,
  RecursiveLeastSquares: RecursiveLeastSquares.fromJSON,
  SGDRegressor: SGDRegressor.fromJSON,
  SGDClassifier: SGDClassifier.fromJSON,
  LogisticRegression: LogisticRegression.fromJSON,
  GaussianNB: GaussianNB.fromJSON,
  MeanRegressor: MeanRegressor.fromJSON,
  LastValueRegressor: LastValueRegressor.fromJSON,
  MajorityClassifier: MajorityClassifier.fromJSON,
  LastClassClassifier: LastClassClassifier.fromJSON,
  FullRefitLinearRegression: FullRefitLinearRegression.fromJSON,
  FullRefitPolynomialRegression: FullRefitPolynomialRegression.fromJSON,
  HoeffdingTreeClassifier: HoeffdingTreeClassifier.fromJSON,
  HoeffdingTreeRegressor: HoeffdingTreeRegressor.fromJSON,
});

/**
 * Restores any trainer from its `toJSON()` envelope by looking its kind up in
 * a registry. An unknown kind or a malformed envelope is `invalid_state`.
 *
 * @example
 * ```ts
 * import { LinearRegression, restoreTrainer } from "freshml";
 * const m = new LinearRegression();
 * m.update({ X: [[0], [1], [2]], y: [0, 1, 2] });
 * const back = restoreTrainer(JSON.parse(JSON.stringify(m)));
 * back.predict([[3]]); // Float64Array [3]
 * ```
 */
export function restoreTrainer(json: unknown, registry: TrainerRegistry = builtinTrainers): Trainer {
  return restoreWith(json, registry);
}
