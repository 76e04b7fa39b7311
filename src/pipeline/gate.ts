import { FreshmlError, checkParam } from "../core/errors.js";
import { isClassifier, type Trainer } from "../learners/trainer.js";
import { Accuracy } from "../metrics/accuracy.js";
import { MAE } from "../metrics/mae.js";
import type { Metric } from "../metrics/metric.js";
import { R2 } from "../metrics/r2.js";
import { RMSE } from "../metrics/rmse.js";

/** Metrics the gate can use. */
export type GateMetric = "rmse" | "mae" | "r2" | "accuracy";

/**
 * Promotion rules, TFX-style: the challenger must pass an absolute bound and
 * must not be worse than the champion beyond a change bound — and,
 * optionally, must beat a naive baseline — on the same held-out rows.
 */
export interface GateOptions {
  /** The metric. Default "rmse" for regression, "accuracy" for classification. */
  metric?: GateMetric;
  /** Absolute bound: at most this (rmse, mae) or at least this (r2, accuracy). Default none. */
  absolute?: number;
  /**
   * How much worse than the champion the challenger may be: `value` in the
   * metric's units, or a share of the champion's value with `relative: true`.
   * Default 0: at least as good.
   */
  tolerance?: number;
  /** Read `tolerance` as a share of the champion's metric. Default false. */
  relative?: boolean;
  /** Also require beating this baseline trained on the same rows (e.g. a LastValueRegressor). */
  baseline?: Trainer;
  /** Share of each batch held out (its last rows) for the gate, not learned from. Default 0.2. */
  holdoutFraction?: number;
}

/** One gate decision, with its numbers. */
export interface GateDecision {
  /** The metric compared. */
  metric: GateMetric;
  /** Whether the challenger was promoted. */
  promoted: boolean;
  /** The challenger's score on the held-out rows. */
  challenger: number;
  /** The champion's score, or null when there was none. */
  champion: number | null;
  /** The baseline's score, when one is configured. */
  baseline: number | null;
  /** Why it was not promoted (empty when it was). */
  reasons: string[];
  /** Held-out rows scored. */
  holdoutRows: number;
}

/** Checks gate options and fills defaults for a trainer. */
export function gateSettings(options: GateOptions, trainer: Trainer): Required<Omit<GateOptions, "baseline" | "absolute">> & Pick<GateOptions, "baseline" | "absolute"> {
  const { metric = isClassifier(trainer) ? "accuracy" : "rmse", tolerance = 0, relative = false, holdoutFraction = 0.2 } = options;
  checkParam(["rmse", "mae", "r2", "accuracy"].includes(metric), "gate.metric", "rmse, mae, r2 or accuracy", metric);
  checkParam(tolerance >= 0, "gate.tolerance", "a number ≥ 0 (Infinity: never compare with the champion)", tolerance);
  checkParam(holdoutFraction > 0 && holdoutFraction < 1, "gate.holdoutFraction", "in (0, 1)", holdoutFraction);
  if ((metric === "accuracy") !== isClassifier(trainer)) {
    throw new FreshmlError("invalid_params", `gate metric ${metric} does not fit a ${trainer.task} trainer`);
  }
  return { metric, tolerance, relative, holdoutFraction, baseline: options.baseline, absolute: options.absolute };
}

/** A fresh metric instance. */
export function makeMetric(metric: GateMetric): Metric {
  switch (metric) {
    case "rmse":
      return new RMSE();
    case "mae":
      return new MAE();
    case "r2":
      return new R2();
    case "accuracy":
      return new Accuracy();
  }
}

/** Scores a trainer on rows (NaN when it cannot predict yet). */
export function score(metric: GateMetric, t: Trainer | null, X: Float64Array, cols: number, y: Float64Array): number {
  if (!t || t.nSeen === 0) return NaN;
  const m = makeMetric(metric);
  m.update(y, t.predict({ X, cols }));
  return m.get();
}

/** Applies the gate's rules to three scores. */
export function decide(
  settings: ReturnType<typeof gateSettings>,
  challenger: number,
  champion: number | null,
  baseline: number | null,
  holdoutRows: number,
): GateDecision {
  const bigger = settings.metric === "r2" || settings.metric === "accuracy";
  const better = (a: number, b: number, slack: number): boolean => (bigger ? a >= b - slack : a <= b + slack);
  const reasons: string[] = [];
  if (!Number.isFinite(challenger)) reasons.push(`challenger ${settings.metric} is not finite`);
  if (settings.absolute !== undefined && !(bigger ? challenger >= settings.absolute : challenger <= settings.absolute)) {
    reasons.push(`${settings.metric} ${challenger.toPrecision(4)} fails the absolute bound ${bigger ? "≥" : "≤"} ${settings.absolute}`);
  }
  if (champion !== null && Number.isFinite(champion)) {
    const slack = settings.relative ? settings.tolerance * Math.abs(champion) : settings.tolerance;
    if (!better(challenger, champion, slack)) {
      reasons.push(`${settings.metric} ${challenger.toPrecision(4)} is worse than the champion's ${champion.toPrecision(4)} beyond the tolerance ${slack.toPrecision(3)}`);
    }
  }
  if (baseline !== null && Number.isFinite(baseline) && !better(challenger, baseline, 0)) {
    reasons.push(`${settings.metric} ${challenger.toPrecision(4)} does not beat the baseline's ${baseline.toPrecision(4)}`);
  }
  return { metric: settings.metric, promoted: reasons.length === 0, challenger, champion, baseline, reasons, holdoutRows };
}
