import { checkParam } from "../core/errors.js";
import type { DriftDetector } from "../drift/detector.js";
import type { Metric } from "../metrics/metric.js";

/**
 * A condition for retraining. `poll()` returns why it fires (a sentence), or
 * null; the scheduler polls after every observation and tick, and passes the
 * reason to the run (and so into its report). `reset()` is called after a run
 * it started.
 */
export interface Trigger {
  /** A short name. */
  readonly name: string;
  /** Why it fires now, or null. */
  poll(): string | null;
  /** Forget what led to the last firing. */
  reset(): void;
}

/**
 * Collects incoming rows and hands them out as whole batches: the source for
 * a run fired by {@link everyNRows}. Memory is the rows not yet handed out.
 *
 * @example
 * ```ts
 * import { RowBuffer } from "freshml";
 * const buffer = new RowBuffer<{ x: number }>({ batchRows: 2 });
 * buffer.push([{ x: 1 }, { x: 2 }, { x: 3 }]);
 * buffer.takeBatches(); // [[{ x: 1 }, { x: 2 }]]; buffer.size === 1
 * ```
 */
export class RowBuffer<Row> {
  /** Rows per batch handed out. */
  readonly batchRows: number;
  private rows: Row[] = [];

  constructor(options: { batchRows: number }) {
    checkParam(Number.isInteger(options?.batchRows) && options.batchRows > 0, "batchRows", "a positive integer", options?.batchRows);
    this.batchRows = options.batchRows;
  }

  /** Rows waiting. */
  get size(): number {
    return this.rows.length;
  }

  /** Adds rows. */
  push(rows: readonly Row[]): void {
    for (const r of rows) this.rows.push(r);
  }

  /** Removes and returns every whole batch; the remainder waits for more rows. */
  takeBatches(): Row[][] {
    const out: Row[][] = [];
    while (this.rows.length >= this.batchRows) out.push(this.rows.splice(0, this.batchRows));
    return out;
  }
}

/**
 * Fires once `buffer` holds at least `n` rows.
 *
 * @example
 * ```ts
 * import { RowBuffer, everyNRows } from "freshml";
 * const buffer = new RowBuffer<number>({ batchRows: 10 });
 * const t = everyNRows(buffer, 25);
 * buffer.push(Array.from({ length: 30 }, (_, i) => i));
 * t.poll(); // "30 rows accumulated (every 25)"
 * ```
 */
export function everyNRows(buffer: RowBuffer<unknown>, n: number): Trigger {
  checkParam(Number.isInteger(n) && n > 0, "n", "a positive integer", n);
  return {
    name: "every-n-rows",
    poll: () => (buffer.size >= n ? `${buffer.size} rows accumulated (every ${n})` : null),
    reset: () => undefined,
  };
}

/** A trigger fed with values by the host, e.g. the serving model's per-row errors. */
export interface ObservingTrigger extends Trigger {
  /** Feeds one observation. */
  observe(value: number): void;
}

/**
 * Fires when a drift detector, fed the serving model's per-row errors
 * (`observe`), detects a change.
 *
 * @example
 * ```ts
 * import { onDrift, PageHinkley } from "freshml";
 * const t = onDrift(new PageHinkley({ threshold: 5 }));
 * for (let i = 0; i < 200; i++) t.observe(i < 100 ? 0 : 1);
 * t.poll(); // "PageHinkley detected drift after …"
 * ```
 */
export function onDrift(detector: DriftDetector): ObservingTrigger {
  let fired: string | null = null;
  let seen = 0;
  return {
    name: "on-drift",
    observe(v: number): void {
      seen++;
      detector.update(v);
      if (detector.driftDetected && fired === null) fired = `${detector.kind} detected drift after ${seen} observations`;
    },
    poll: () => fired,
    reset(): void {
      fired = null;
      seen = 0;
    },
  };
}

/** Options of {@link onMetricDecay}. */
export interface MetricDecayOptions {
  /** A fresh metric to fold the serving model's recent predictions into (e.g. `new RMSE()`). */
  metric: Metric;
  /** The champion's recorded score (from its store record), or a function returning the current one. */
  reference: number | (() => number);
  /** How much worse before firing: in the metric's units, or a share of the reference with `relative`. */
  margin: number;
  /** Read `margin` as a share of the reference. Default false. */
  relative?: boolean;
  /** Rows to fold before judging. Default 100. */
  minRows?: number;
}

/**
 * Fires when the serving model's recent score (fed with `observePair`) is
 * worse than the champion's recorded score by more than the margin.
 *
 * @example
 * ```ts
 * import { onMetricDecay, MAE } from "freshml";
 * const t = onMetricDecay({ metric: new MAE(), reference: 1, margin: 0.5, minRows: 2 });
 * t.observePair([0, 0], [2, 2]);
 * t.poll(); // "mae 2 is worse than the champion's 1 by more than 0.5"
 * ```
 */
export function onMetricDecay(options: MetricDecayOptions): Trigger & {
  /** Folds a batch of (truth, prediction). */
  observePair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void;
} {
  const { metric, reference, margin, relative = false, minRows = 100 } = options;
  checkParam(margin >= 0, "margin", "≥ 0", margin);
  let current = metric.clone();
  const ref = (): number => (typeof reference === "function" ? reference() : reference);
  return {
    name: "on-metric-decay",
    observePair(yTrue, yPred): void {
      current.update(yTrue, yPred);
    },
    poll(): string | null {
      if (current.count < minRows) return null;
      const r = ref();
      const slack = relative ? margin * Math.abs(r) : margin;
      const v = current.get();
      const worse = metric.biggerIsBetter ? v < r - slack : v > r + slack;
      return worse ? `${metric.name} ${fmt(v)} is worse than the champion's ${fmt(r)} by more than ${fmt(slack)}` : null;
    },
    reset(): void {
      current = metric.clone();
    },
  };
}

/** A trigger fired by hand: `fire(reason)`. */
export function manual(): Trigger & {
  /** Asks for a run. */
  fire(reason?: string): void;
} {
  let pending: string | null = null;
  return {
    name: "manual",
    fire(reason = "requested by hand"): void {
      pending = reason;
    },
    poll: () => pending,
    reset(): void {
      pending = null;
    },
  };
}

/**
 * Fires when any of `triggers` does; the reason names every one that fired.
 *
 * @example
 * ```ts
 * import { anyOf, manual } from "freshml";
 * const a = manual();
 * const b = manual();
 * const either = anyOf(a, b);
 * b.fire("b wants it");
 * either.poll(); // "manual: b wants it"
 * ```
 */
export function anyOf(...triggers: Trigger[]): Trigger {
  return {
    name: `any-of(${triggers.map((t) => t.name).join(", ")})`,
    poll(): string | null {
      const reasons = triggers.map((t) => [t.name, t.poll()] as const).filter(([, r]) => r !== null);
      return reasons.length ? reasons.map(([n, r]) => `${n}: ${r}`).join("; ") : null;
    },
    reset(): void {
      for (const t of triggers) t.reset();
    },
  };
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}
