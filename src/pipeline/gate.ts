import type { Batch } from "../core/batch.js";
import { allFiniteFast } from "../core/kernels.js";
import { checkParam, FreshmlError } from "../core/errors.js";
import { isClassifier, type Trainer } from "../learners/trainer.js";
import type { Metric, MetricJSON } from "../metrics/metric.js";
import { createMetric, metricNames, metricTask, restoreMetric, type MetricName } from "../metrics/registry.js";

/** Metrics the gate can decide on and the pipeline can track. */
export type GateMetric = MetricName;

/**
 * Promotion rules. The default is a *prequential challenge*: before anything
 * learns a batch, the challenger (the learning state, what the learner would
 * serve) and the champion both predict it, so both are scored out of time on
 * every row. The challenger is promoted when, over the last `window` batches
 * of such paired scores (at least `minRows` rows):
 * - its `metric` beats the champion's by the relative `margin`;
 * - a paired test on per-row losses (a Diebold–Mariano statistic) says it is
 *   better with the given `confidence`, so a handful of rows cannot flip it;
 * - it passes the `absolute` bound, beats the `baseline` when there is one,
 *   and is not worse than the champion on the `evaluationSet` when there is one.
 *
 * A passing challenger is promoted once it has learned the batch at hand
 * (`promote`: "after-learning"), or exactly as it was scored ("as-tested").
 * Every accepted row is learned: nothing is held out for good.
 *
 * `mode: "holdout"` is the classic alternative: a copy of the learning state
 * learns the batch's first rows and is compared with the champion on the last
 * `holdoutFraction` (the same paired rules on those rows); the learning state
 * then learns the whole batch.
 */
export interface GateOptions {
  /** The metric decided on. Default "rmse" for regression, "logloss" for classifiers with probabilities ("accuracy" otherwise). */
  metric?: GateMetric;
  /** Prequential challenge (default) or a held-out tail of each batch. */
  mode?: "prequential" | "holdout";
  /** Batches of paired scores a decision looks back over — more when they hold fewer than `minRows` rows. Default 5. */
  window?: number;
  /**
   * Paired rows needed before a challenger can replace a champion (the
   * window stretches back to hold them). Default 20: measured, it keeps a
   * one-row-per-batch stream on a strong trend within 7 % of an expanding
   * refit (Mauna Loa CO₂, docs/real-data.md) while a stationary stream swaps
   * on under 1 % of decisions (30: 10 % and 0.7 %).
   */
  minRows?: number;
  /**
   * How much better the challenger must be, as a share of the champion's
   * value (0.01: 1 % better). Negative allows it to be that much worse.
   * Default 0.
   */
  margin?: number;
  /**
   * One-sided confidence of the paired test that the challenger's per-row
   * loss is lower, in [0.5, 1). 0.5 only asks that it is not worse on
   * average. Default 0.95.
   */
  confidence?: number;
  /** Absolute bound: at most this (losses) or at least this (accuracy, r2, …). Default none. */
  absolute?: number;
  /** Also require beating this baseline, which learns the same rows and is scored the same way (e.g. a LastValueRegressor). */
  baseline?: Trainer;
  /** Share of each batch held out in `mode: "holdout"`. Default 0.2. */
  holdoutFraction?: number;
  /**
   * Which state a passing challenger promotes:
   * - `"after-learning"` (default): the learning state once it has learned
   *   the batch at hand — the freshest model, whose trajectory earned it;
   * - `"as-tested"`: exactly the state the evidence was measured on, before
   *   the batch at hand — it serves nothing it was not tested after, at the
   *   price of lagging one batch.
   * The evaluation set, when there is one, scores the state to be promoted.
   */
  promote?: "after-learning" | "as-tested";
  /**
   * A fixed, trusted set (numeric `{ X, y }` or row objects): the challenger must
   * not be worse than the champion on it (and must pass `absolute` there), so a
   * batch with corrupted labels cannot promote a model scored on its own rows.
   */
  evaluationSet?: Batch | readonly unknown[];
}

/** The gate's settings with defaults filled in. */
export interface GateSettings {
  /** The metric decided on. */
  readonly metric: GateMetric;
  /** Whether bigger is better for it. */
  readonly biggerIsBetter: boolean;
  /** prequential or holdout. */
  readonly mode: "prequential" | "holdout";
  /** Batches of evidence. */
  readonly window: number;
  /** Rows of evidence needed. */
  readonly minRows: number;
  /** Relative margin. */
  readonly margin: number;
  /** Confidence of the paired test. */
  readonly confidence: number;
  /** The critical value of the paired statistic for `confidence`. */
  readonly critical: number;
  /** Absolute bound, if any. */
  readonly absolute: number | undefined;
  /** Held-out share (holdout mode). */
  readonly holdoutFraction: number;
  /** The class labels of the trainer (classifiers), for metrics that need them. */
  readonly classes: readonly number[] | undefined;
  /** Whether per-row losses come from probabilities. */
  readonly proba: boolean;
  /** The baseline trainer (untrained template), if any. */
  readonly baseline: Trainer | undefined;
  /** Which state a passing challenger promotes. */
  readonly promote: "after-learning" | "as-tested";
}

/** One gate decision, with its numbers. */
export interface GateDecision {
  /** The metric compared. */
  metric: GateMetric;
  /** How the evidence was gathered: a prequential window, a held-out tail, or the first model (no champion yet). */
  mode: "prequential" | "holdout" | "first";
  /** Whether the challenger was promoted. */
  promoted: boolean;
  /** The challenger's metric over the evidence (null when it had none). */
  challenger: number | null;
  /** The champion's metric over the same rows, or null when there was none. */
  champion: number | null;
  /** The baseline's, when one is configured. */
  baseline: number | null;
  /** The paired statistic (positive: the challenger's per-row loss is lower), or null. */
  statistic: number | null;
  /** Paired rows and batches the decision rests on. */
  rows: number;
  /** Batches of evidence. */
  batches: number;
  /** Scores on the evaluation set, when one is configured and was scored. */
  evaluation?: EvaluationScores;
  /** Why it was not promoted (empty when it was). */
  reasons: string[];
}

/** Both models' metric on the gate's evaluation set. */
export interface EvaluationScores {
  /** The candidate's (NaN when it cannot predict the set). */
  challenger: number;
  /** The champion's, or null without one. */
  champion: number | null;
}

/** Checks gate options and fills defaults for a trainer. */
export function gateSettings(options: GateOptions, trainer: Trainer): GateSettings {
  const classifier = isClassifier(trainer);
  const {
    metric = classifier ? "logloss" : "rmse",
    mode = "prequential",
    window = 5,
    minRows = 20,
    margin = 0,
    confidence = 0.95,
    holdoutFraction = 0.2,
    promote = "after-learning",
  } = options;
  checkParam(promote === "after-learning" || promote === "as-tested", "gate.promote", "after-learning or as-tested", promote);
  checkParam(metricNames.includes(metric), "gate.metric", metricNames.join(", "), metric);
  if ((metricTask(metric) === "classification") !== (trainer.task === "classification")) {
    throw new FreshmlError("invalid_params", `gate.metric ${metric} does not fit a ${trainer.task} trainer (${trainer.kind})`, { param: "gate.metric" });
  }
  checkParam(mode === "prequential" || mode === "holdout", "gate.mode", "prequential or holdout", mode);
  checkParam(Number.isInteger(window) && window >= 1, "gate.window", "a positive integer", window);
  checkParam(Number.isInteger(minRows) && minRows >= 1, "gate.minRows", "a positive integer", minRows);
  checkParam(Number.isFinite(margin) && margin > -1 && margin < 1, "gate.margin", "a share in (−1, 1)", margin);
  checkParam(confidence >= 0.5 && confidence < 1, "gate.confidence", "in [0.5, 1)", confidence);
  checkParam(holdoutFraction > 0 && holdoutFraction < 1, "gate.holdoutFraction", "in (0, 1)", holdoutFraction);
  if (options.absolute !== undefined) checkParam(Number.isFinite(options.absolute), "gate.absolute", "a finite number", options.absolute);
  const proba = classifier && (metric !== "accuracy");
  if (options.baseline && options.baseline.task !== trainer.task) {
    throw new FreshmlError("invalid_params", `gate.baseline is a ${options.baseline.task} trainer; the trainer does ${trainer.task}`, { param: "gate.baseline" });
  }
  if (options.baseline && classifier && (!isClassifier(options.baseline) || JSON.stringify(options.baseline.classes) !== JSON.stringify(trainer.classes))) {
    throw new FreshmlError("invalid_params", `gate.baseline must declare the trainer's classes ${JSON.stringify(trainer.classes)}`, { param: "gate.baseline" });
  }
  if (mode === "holdout" && promote === "as-tested") {
    throw new FreshmlError("invalid_params", "gate.promote \"as-tested\" does not combine with mode \"holdout\": the held-out rows are learned after the decision, so the promoted model is the one that learned the whole batch", { param: "gate.promote" });
  }
  const probe = createMetric(metric, classifier ? { classes: trainer.classes } : {});
  return {
    metric,
    biggerIsBetter: probe.biggerIsBetter,
    mode,
    window,
    minRows,
    margin,
    confidence,
    critical: normalQuantile(confidence),
    absolute: options.absolute,
    holdoutFraction,
    classes: classifier ? trainer.classes : undefined,
    proba,
    baseline: options.baseline,
    promote,
  };
}

/** A fresh instance of a tracked metric for the trainer's task. */
export function newMetric(name: GateMetric, classes: readonly number[] | undefined): Metric {
  return createMetric(name, classes ? { classes } : {});
}

/** What a model said about a batch: values or labels, and class probabilities for classifiers when a metric needs them. */
export interface Predictions {
  /** Predicted values (regression) or labels (classification). */
  readonly values: Float64Array;
  /** Row-major class probabilities, when asked for. */
  readonly proba: Float64Array | null;
}

/** Predictions of `model` on checked features; probabilities only when `proba`. Non-finite output is `non_finite`. */
export function predictWith(model: Trainer, features: { X: Float64Array; cols: number }, proba: boolean): Predictions {
  if (proba && isClassifier(model)) {
    const p = model.predictProba(features);
    assertFiniteOutput(p, model);
    const k = model.classes.length;
    const values = new Float64Array(p.length / k);
    for (let i = 0, o = 0; i < values.length; i++, o += k) {
      let best = 0;
      for (let c = 1; c < k; c++) if (p[o + c]! > p[o + best]!) best = c;
      values[i] = model.classes[best]!;
    }
    return { values, proba: p };
  }
  const values = model.predict(features);
  assertFiniteOutput(values, model);
  return { values, proba: null };
}

function assertFiniteOutput(v: Float64Array, model: Trainer): void {
  if (allFiniteFast(v)) return;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x - x !== 0) throw new FreshmlError("non_finite", `${model.kind} predicted ${x} for a row of this batch`, { row: i, observed: String(x) });
  }
}

/** Folds predictions into a metric (labels or probabilities, as it reads). */
export function scoreInto(metric: Metric, y: Float64Array, p: Predictions): void {
  metric.update(y, metric.input === "proba" ? p.proba! : p.values);
}

/**
 * Sums of the per-row loss differences (challenger − champion) for the paired
 * test, in one pass: squared error (rmse, r2), absolute error (mae), 0/1 error
 * (accuracy), or the log loss of the true class for probability metrics
 * (logloss, and rocauc, macrof1 and balancedaccuracy, which have no per-row form).
 */
export function pairedLossSums(settings: GateSettings, y: Float64Array, a: Predictions, b: Predictions): { sumD: number; sumD2: number } {
  const n = y.length;
  let sumD = 0;
  let sumD2 = 0;
  const add = (d: number): void => {
    sumD += d;
    sumD2 += d * d;
  };
  if (settings.classes === undefined) {
    const pa = a.values;
    const pb = b.values;
    if (settings.metric === "mae") for (let i = 0; i < n; i++) add(Math.abs(pa[i]! - y[i]!) - Math.abs(pb[i]! - y[i]!));
    else
      for (let i = 0; i < n; i++) {
        const ea = pa[i]! - y[i]!;
        const eb = pb[i]! - y[i]!;
        const d = ea * ea - eb * eb;
        sumD += d;
        sumD2 += d * d;
      }
    return { sumD, sumD2 };
  }
  if (!settings.proba || !a.proba || !b.proba) {
    for (let i = 0; i < n; i++) add((a.values[i] === y[i] ? 0 : 1) - (b.values[i] === y[i] ? 0 : 1));
    return { sumD, sumD2 };
  }
  const classes = settings.classes;
  const k = classes.length;
  const logLoss = (p: Float64Array, i: number, c: number): number => -Math.log(Math.min(1 - 1e-15, Math.max(1e-15, c >= 0 ? p[i * k + c]! : 0)));
  for (let i = 0; i < n; i++) {
    const c = classes.indexOf(y[i]!);
    add(logLoss(a.proba, i, c) - logLoss(b.proba, i, c));
  }
  return { sumD, sumD2 };
}

/** One batch of evidence: the paired per-row loss differences' sums and each role's metric on it. */
export interface EvidenceEntry {
  /** Stream position of the batch. */
  batch: number;
  /** Paired rows (0 when there was no champion to pair with). */
  rows: number;
  /** Σ (challenger loss − champion loss). */
  sumD: number;
  /** Σ (challenger loss − champion loss)². */
  sumD2: number;
  /** The challenger's metric on the batch. */
  challenger: Metric;
  /** The champion's, when there was one. */
  champion: Metric | null;
  /** The baseline's, when one is configured and could predict. */
  baseline: Metric | null;
}

/** JSON form of an {@link EvidenceEntry}. */
export interface EvidenceEntryJSON {
  /** Stream position. */
  batch: number;
  /** Paired rows. */
  rows: number;
  /** Σ d. */
  sumD: number;
  /** Σ d². */
  sumD2: number;
  /** Challenger metric state. */
  challenger: MetricJSON;
  /** Champion metric state. */
  champion: MetricJSON | null;
  /** Baseline metric state. */
  baseline: MetricJSON | null;
}

/**
 * The gate's memory since the champion last changed: the newest `window`
 * batches of evidence — or more, as many as it takes to hold `minRows` paired
 * rows, so that small batches (a reading a month) still reach a decision.
 */
export class Evidence {
  /** Oldest first. */
  entries: EvidenceEntry[] = [];
  private rows = 0;

  constructor(
    /** Batches kept at least (when they hold `minRows` rows). */
    readonly window: number,
    /** Paired rows kept at least. */
    readonly minRows: number,
  ) {}

  /** Adds a batch, dropping the oldest beyond the window while enough rows remain. */
  push(entry: EvidenceEntry): void {
    this.entries.push(entry);
    this.rows += weight(entry);
    while (this.entries.length > this.window && this.rows - weight(this.entries[0]!) >= this.minRows) this.rows -= weight(this.entries.shift()!);
  }

  /** The entries as they would be after `push(entry)`, without changing anything. */
  preview(entry: EvidenceEntry): EvidenceEntry[] {
    const out = [...this.entries, entry];
    let rows = this.rows + weight(entry);
    let drop = 0;
    while (out.length - drop > this.window && rows - weight(out[drop]!) >= this.minRows) rows -= weight(out[drop++]!);
    return out.slice(drop);
  }

  /** Forgets everything (the champion changed: old pairs compared another model). */
  clear(): void {
    this.entries = [];
    this.rows = 0;
  }

  /** JSON-safe form. */
  toJSON(): EvidenceEntryJSON[] {
    return this.entries.map((e) => ({
      batch: e.batch,
      rows: e.rows,
      sumD: e.sumD,
      sumD2: e.sumD2,
      challenger: e.challenger.toJSON(),
      champion: e.champion?.toJSON() ?? null,
      baseline: e.baseline?.toJSON() ?? null,
    }));
  }

  /** Restores from {@link Evidence.toJSON}. */
  static fromJSON(json: readonly EvidenceEntryJSON[], window: number, minRows: number): Evidence {
    const e = new Evidence(window, minRows);
    for (const j of json) {
      e.push({
        batch: j.batch,
        rows: j.rows,
        sumD: j.sumD,
        sumD2: j.sumD2,
        challenger: restoreMetric(j.challenger),
        champion: j.champion ? restoreMetric(j.champion) : null,
        baseline: j.baseline ? restoreMetric(j.baseline) : null,
      });
    }
    return e;
  }
}

/** Rows an entry weighs in the window: its paired rows, or the challenger's scored rows before there is a champion. */
function weight(e: EvidenceEntry): number {
  return e.rows > 0 ? e.rows : e.challenger.count;
}

/** Merges one role's metrics over the evidence (null when any entry lacks it or none has rows). */
function merged(entries: readonly EvidenceEntry[], role: "challenger" | "champion" | "baseline"): number | null {
  let acc: Metric | null = null;
  for (const e of entries) {
    const m = e[role];
    if (!m) return null;
    if (acc === null) acc = m.clone();
    acc.merge(m);
  }
  if (!acc || acc.count === 0) return null;
  const v = acc.get();
  return Number.isFinite(v) ? v : null;
}

/**
 * Applies the rules to the evidence. `evaluate` scores the challenger and the
 * champion on the evaluation set; it is called only when every other rule
 * passed (it costs a prediction of the whole set).
 */
export function decide(
  settings: GateSettings,
  evidence: readonly EvidenceEntry[],
  hasChampion: boolean,
  evaluate: (() => EvaluationScores) | null,
): GateDecision {
  const reasons: string[] = [];
  const better = (a: number, b: number, margin: number): boolean =>
    settings.biggerIsBetter ? a >= b + margin * Math.abs(b) : a <= b - margin * Math.abs(b);
  const challenger = merged(evidence, "challenger");
  const champion = hasChampion ? merged(evidence, "champion") : null;
  const baseline = merged(evidence, "baseline");
  let rows = 0;
  let sumD = 0;
  let sumD2 = 0;
  for (const e of evidence) {
    rows += e.rows;
    sumD += e.sumD;
    sumD2 += e.sumD2;
  }
  let statistic: number | null = null;
  if (hasChampion) {
    if (rows < settings.minRows) reasons.push(`${rows} paired rows of evidence; at least ${settings.minRows} are needed`);
    if (rows >= 2) {
      const mean = sumD / rows;
      const variance = Math.max(0, (sumD2 - rows * mean * mean) / (rows - 1));
      const se = Math.sqrt(variance / rows);
      // Losses: a negative mean difference favours the challenger.
      statistic = se > 0 ? -mean / se : mean < 0 ? Infinity : mean > 0 ? -Infinity : 0;
      if (!(statistic >= settings.critical)) {
        reasons.push(`the paired test does not show the challenger's per-row loss lower (statistic ${fmt(statistic)} < ${fmt(settings.critical)} for confidence ${settings.confidence})`);
      }
    }
    if (challenger === null || champion === null) reasons.push(`no ${settings.metric} for both models on the evidence`);
    else if (!better(challenger, champion, settings.margin)) {
      reasons.push(`${settings.metric} ${fmt(challenger)} does not beat the champion's ${fmt(champion)} by the margin ${settings.margin}`);
    }
  }
  if (settings.absolute !== undefined) {
    if (challenger === null) reasons.push(`no ${settings.metric} yet to check against the absolute bound`);
    else if (!(settings.biggerIsBetter ? challenger >= settings.absolute : challenger <= settings.absolute)) {
      reasons.push(`${settings.metric} ${fmt(challenger)} fails the absolute bound ${settings.biggerIsBetter ? "≥" : "≤"} ${settings.absolute}`);
    }
  }
  if (settings.baseline !== undefined) {
    if (baseline === null || challenger === null) reasons.push(`no ${settings.metric} yet for the challenger and the baseline on the same rows`);
    else if (!better(challenger, baseline, 0)) reasons.push(`${settings.metric} ${fmt(challenger)} does not beat the baseline's ${fmt(baseline)}`);
  }
  const decision: GateDecision = {
    metric: settings.metric,
    mode: hasChampion ? settings.mode : "first",
    promoted: reasons.length === 0,
    challenger,
    champion,
    baseline,
    statistic,
    rows,
    batches: evidence.length,
    reasons,
  };
  if (decision.promoted && evaluate) checkEvaluation(settings, decision, evaluate());
  return decision;
}

/** The evaluation-set rule: the candidate must not be worse than the champion there, and must pass the absolute bound. Updates the decision. */
export function checkEvaluation(settings: GateSettings, decision: GateDecision, evaluation: EvaluationScores): void {
  const better = (a: number, b: number): boolean => (settings.biggerIsBetter ? a >= b : a <= b);
  decision.evaluation = evaluation;
  const reasons = decision.reasons;
  if (!Number.isFinite(evaluation.challenger)) reasons.push("the challenger cannot be scored on the evaluation set");
  else {
    if (evaluation.champion !== null && Number.isFinite(evaluation.champion) && !better(evaluation.challenger, evaluation.champion)) {
      reasons.push(`on the evaluation set, ${settings.metric} ${fmt(evaluation.challenger)} is worse than the champion's ${fmt(evaluation.champion)}`);
    }
    if (settings.absolute !== undefined && !better(evaluation.challenger, settings.absolute)) {
      reasons.push(`on the evaluation set, ${settings.metric} ${fmt(evaluation.challenger)} fails the absolute bound`);
    }
  }
  decision.promoted = reasons.length === 0;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(4) : String(v);
}

/** Φ⁻¹(p) for p in [0.5, 1): Acklam's rational approximation (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p === 0.5) return 0;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const high = 1 - 0.02425;
  if (p <= high) {
    const q = p - 0.5;
    const r = q * q;
    return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  }
  const q = Math.sqrt(-2 * Math.log(1 - p));
  return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
}
