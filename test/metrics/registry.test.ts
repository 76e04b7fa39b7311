import { describe, expect, it } from "vitest";
import {
  Accuracy,
  BalancedAccuracy,
  createMetric,
  FreshmlError,
  LogLoss,
  MacroF1,
  MAE,
  metricNames,
  metricTask,
  R2,
  restoreMetric,
  RMSE,
  RocAuc,
  type MetricName,
} from "../../src/index.js";

const expected: Record<MetricName, { cls: new (...args: never[]) => unknown; task: "regression" | "classification" }> = {
  rmse: { cls: RMSE, task: "regression" },
  mae: { cls: MAE, task: "regression" },
  r2: { cls: R2, task: "regression" },
  accuracy: { cls: Accuracy, task: "classification" },
  logloss: { cls: LogLoss, task: "classification" },
  rocauc: { cls: RocAuc, task: "classification" },
  macrof1: { cls: MacroF1, task: "classification" },
  balancedaccuracy: { cls: BalancedAccuracy, task: "classification" },
};

function thrown(f: () => unknown): FreshmlError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(FreshmlError);
    return err as FreshmlError;
  }
  throw new Error("expected a FreshmlError");
}

describe("metric registry", () => {
  it("lists every metric name once", () => {
    expect([...metricNames].sort()).toEqual(Object.keys(expected).sort());
    expect(Object.isFrozen(metricNames)).toBe(true);
  });

  it.each(metricNames.map((n) => [n]))("creates a fresh %s that fits its task and restores from its JSON", (name) => {
    const m = createMetric(name, { classes: [0, 1] });
    expect(m).toBeInstanceOf(expected[name].cls);
    expect(metricTask(name)).toBe(expected[name].task);
    // A regression metric scores values; a classification metric labels or probabilities.
    expect(m.input === "value").toBe(expected[name].task === "regression");
    expect(m.count).toBe(0);
    const rows = m.input === "proba" ? [0.7, 0.3, 0.4, 0.6] : [0, 1];
    m.update([0, 0], rows);
    const back = restoreMetric(JSON.parse(JSON.stringify(m)));
    expect(back).toBeInstanceOf(expected[name].cls);
    expect(Object.is(back.get(), m.get())).toBe(true);
  });

  it("passes classes to the metrics that take them", () => {
    expect((createMetric("balancedaccuracy", { classes: [4, 5, 6] }) as BalancedAccuracy).classes).toEqual([4, 5, 6]);
    expect((createMetric("macrof1", { classes: [4, 5, 6] }) as MacroF1).classes).toEqual([4, 5, 6]);
    expect((createMetric("logloss", { classes: [4, 5, 6] }) as LogLoss).classes).toEqual([4, 5, 6]);
    expect((createMetric("rocauc", { classes: [5, 4] }) as RocAuc).classes).toEqual([5, 4]);
    // The others need none.
    for (const name of ["rmse", "mae", "r2", "accuracy"] as const) expect(createMetric(name).count).toBe(0);
  });

  it("rejects an unknown name with invalid_params listing the known ones", () => {
    for (const bad of ["f1", "RMSE", "macro_f1", "", "toString", undefined, 3]) {
      const err = thrown(() => createMetric(bad as MetricName));
      expect(err.code).toBe("invalid_params");
      for (const n of metricNames) expect(err.message).toContain(n);
      expect(err.details.expected).toEqual([...metricNames]);
      expect(thrown(() => metricTask(bad as MetricName)).code).toBe("invalid_params");
    }
  });

  it("needs classes for the classifiers' metrics that take them, naming the metric", () => {
    for (const name of ["logloss", "rocauc", "macrof1", "balancedaccuracy"] as const) {
      for (const options of [undefined, {}, { classes: undefined }]) {
        const err = thrown(() => createMetric(name, options));
        expect(err.code).toBe("invalid_params");
        expect(err.message).toContain(name);
        expect(err.details).toMatchObject({ param: "classes", metric: name });
      }
    }
  });

  it("needs exactly two classes for rocauc", () => {
    const err = thrown(() => createMetric("rocauc", { classes: [0, 1, 2] }));
    expect(err.code).toBe("invalid_params");
    expect(err.message).toContain("rocauc");
    expect(err.details).toMatchObject({ metric: "rocauc", observed: 3, expected: 2 });
  });

  it("rejects a malformed class list whatever the metric", () => {
    for (const name of metricNames) {
      expect(thrown(() => createMetric(name, { classes: [1] })).code).toBe("invalid_params");
      expect(thrown(() => createMetric(name, { classes: [1, 1] })).code).toBe("invalid_params");
      expect(thrown(() => createMetric(name, { classes: [0, NaN] })).code).toBe("invalid_params");
    }
  });

  it("restoreMetric: an unknown metric or a malformed JSON is invalid_state", () => {
    const unknown = thrown(() => restoreMetric({ metric: "f1", params: {}, state: {} }));
    expect(unknown.code).toBe("invalid_state");
    expect(unknown.details.observed).toBe("f1");
    expect(thrown(() => restoreMetric({ metric: "toString", params: {}, state: {} })).code).toBe("invalid_state");
    expect(thrown(() => restoreMetric({ metric: "__proto__", params: {}, state: {} })).code).toBe("invalid_state");
    expect(thrown(() => restoreMetric("rmse")).code).toBe("invalid_state");
    expect(thrown(() => restoreMetric({ metric: "rmse", params: {}, state: { n: -1, sumSq: 0 } })).code).toBe("invalid_state");
  });
});
