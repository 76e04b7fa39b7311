import { FreshmlError, describeValue } from "../core/errors.js";
import { checkClasses } from "../learners/classes.js";
import { Accuracy } from "./accuracy.js";
import { BalancedAccuracy } from "./balanced-accuracy.js";
import { readMetricEnvelope } from "./json.js";
import { LogLoss } from "./log-loss.js";
import { MacroF1 } from "./macro-f1.js";
import { MAE } from "./mae.js";
import type { Metric } from "./metric.js";
import { R2 } from "./r2.js";
import { RMSE } from "./rmse.js";
import { RocAuc } from "./roc-auc.js";

/**
 * Metric names the library knows.
 *
 * @example
 * ```ts
 * import { createMetric, type MetricName } from "freshml";
 * const name: MetricName = "mae";
 * createMetric(name).name; // "mae"
 * ```
 */
export type MetricName = "rmse" | "mae" | "r2" | "accuracy" | "logloss" | "rocauc" | "macrof1" | "balancedaccuracy";

/**
 * All of them, for validation and docs.
 *
 * @example
 * ```ts
 * import { metricNames } from "freshml";
 * metricNames.includes("r2"); // true
 * ```
 */
export const metricNames: readonly MetricName[] = Object.freeze([
  "rmse",
  "mae",
  "r2",
  "accuracy",
  "logloss",
  "rocauc",
  "macrof1",
  "balancedaccuracy",
] as const);

// Whether each metric scores regression values or class labels / probabilities.
const tasks: Readonly<Record<MetricName, "regression" | "classification">> = {
  rmse: "regression",
  mae: "regression",
  r2: "regression",
  accuracy: "classification",
  logloss: "classification",
  rocauc: "classification",
  macrof1: "classification",
  balancedaccuracy: "classification",
};

// Restorers keyed by the `metric` field toJSON() writes (each class's `name`,
// which is "macro_f1" / "roc_auc" for the two whose MetricName has no underscore).
const restorers: Readonly<Record<string, (json: unknown) => Metric>> = {
  rmse: RMSE.fromJSON,
  mae: MAE.fromJSON,
  r2: R2.fromJSON,
  accuracy: Accuracy.fromJSON,
  logloss: LogLoss.fromJSON,
  roc_auc: RocAuc.fromJSON,
  macro_f1: MacroF1.fromJSON,
  balancedaccuracy: BalancedAccuracy.fromJSON,
};

function checkName(name: unknown): MetricName {
  if (typeof name !== "string" || !Object.prototype.hasOwnProperty.call(tasks, name)) {
    throw new FreshmlError("invalid_params", `unknown metric ${describeValue(name)}; known: ${metricNames.join(", ")}`, {
      param: "name",
      observed: describeValue(name),
      expected: metricNames.slice(),
    });
  }
  return name as MetricName;
}

/**
 * A fresh metric by name. `classes` is required by the metrics that take it
 * (logloss, rocauc, macrof1, balancedaccuracy; rocauc needs exactly two) and
 * ignored by the others; when given it must be a valid class list. A missing
 * or wrong `classes` or an unknown name is `invalid_params`.
 *
 * @example
 * ```ts
 * import { createMetric } from "freshml";
 * const m = createMetric("balancedaccuracy", { classes: [0, 1, 2] });
 * m.update([0, 1, 2, 2], [0, 2, 2, 2]);
 * m.get(); // (1 + 0 + 1) / 3 ≈ 0.667
 * createMetric("rmse").biggerIsBetter; // false
 * ```
 */
export function createMetric(name: MetricName, options: { classes?: readonly number[] } = {}): Metric {
  const n = checkName(name);
  // Checked even for metrics that ignore it, so a broken list never passes silently.
  const given = options?.classes === undefined ? undefined : checkClasses(options.classes);
  const classes = (): readonly number[] => {
    if (given === undefined) {
      throw new FreshmlError("invalid_params", `metric ${n} needs options.classes, the labels it scores`, { param: "classes", metric: n });
    }
    return given;
  };
  switch (n) {
    case "rmse":
      return new RMSE();
    case "mae":
      return new MAE();
    case "r2":
      return new R2();
    case "accuracy":
      return new Accuracy();
    case "logloss":
      return new LogLoss({ classes: classes() });
    case "macrof1":
      return new MacroF1({ classes: classes() });
    case "balancedaccuracy":
      return new BalancedAccuracy({ classes: classes() });
    case "rocauc": {
      const c = classes();
      if (c.length !== 2) {
        throw new FreshmlError("invalid_params", `metric rocauc needs exactly two classes, got ${c.length}`, {
          param: "classes",
          metric: n,
          observed: c.length,
          expected: 2,
        });
      }
      return new RocAuc({ classes: c });
    }
  }
}

/**
 * Restores any built-in metric from its `toJSON()`, continuing exactly where
 * it stopped. A malformed JSON or an unknown metric is `invalid_state`.
 *
 * @example
 * ```ts
 * import { createMetric, restoreMetric } from "freshml";
 * const m = createMetric("macrof1", { classes: [0, 1] });
 * m.update([0, 0, 1, 1], [0, 1, 1, 1]);
 * const back = restoreMetric(JSON.parse(JSON.stringify(m)));
 * back.get() === m.get(); // true
 * ```
 */
export function restoreMetric(json: unknown): Metric {
  const name = readMetricEnvelope(json).metric;
  const restore = Object.prototype.hasOwnProperty.call(restorers, name) ? restorers[name] : undefined;
  if (!restore) {
    throw new FreshmlError("invalid_state", `no built-in metric ${JSON.stringify(name)}`, {
      observed: name,
      expected: Object.keys(restorers),
    });
  }
  return restore(json);
}

/**
 * Whether the metric scores regression values or class labels/probabilities:
 * "regression" | "classification". An unknown name is `invalid_params`.
 *
 * @example
 * ```ts
 * import { metricTask } from "freshml";
 * metricTask("r2"); // "regression"
 * metricTask("logloss"); // "classification"
 * ```
 */
export function metricTask(name: MetricName): "regression" | "classification" {
  return tasks[checkName(name)];
}
