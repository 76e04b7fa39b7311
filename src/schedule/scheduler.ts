import { Cron } from "croner";
import type { HostAbortSignal } from "../core/abort.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import { systemClock, type Clock, type TimerHandle } from "./clock.js";
import type { Trigger } from "./triggers.js";
import type { Lease, LeaseGrant } from "../store/lease.js";

/** What a scheduled run is given. */
export interface RunContext {
  /** Aborted when `stop({ abort: true })` is called during the run (the host's `AbortSignal`). */
  signal: HostAbortSignal;
  /** Why it runs: the cron tick, a trigger's reason, or a retry of either. Pass it on (`runBatches(…, { trigger: reason })`). */
  reason: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** With the `lease` option: this scheduler's grant. Pass it to fenced writes (`{ fence: lease }`). */
  lease?: LeaseGrant;
}

/**
 * The `lease` option of {@link Scheduler}: run only while holding this lease.
 *
 * @example
 * ```ts
 * import { MemoryLease, Scheduler } from "freshml";
 * const lease = new MemoryLease(); // a PostgresLease or FileLease across processes
 * const scheduler = new Scheduler({
 *   cron: "0 3 * * *",
 *   lease: { lease, name: "load", holder: `host-a:${process.pid}`, ttlMs: 60_000 },
 *   run: async ({ lease: grant }) => grant?.token, // pass { fence: grant } to the store's writes
 * });
 * scheduler.start();
 * await scheduler.stop();
 * ```
 */
export interface SchedulerLeaseOptions {
  /** The lease (memory, file or PostgreSQL), shared by every replica. */
  lease: Lease;
  /** The lease's name, e.g. the model's name. */
  name: string;
  /** This replica's id (host and process id, say). */
  holder: string;
  /** How long a grant lasts; renewed every third of it while this replica leads. */
  ttlMs: number;
}

/** Retry of a failed run. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  attempts?: number;
  /** Wait before the first retry, in ms. Default 1,000. */
  backoffMs?: number;
  /** Each further wait is this many times longer. Default 2. */
  factor?: number;
}

/** What the scheduler tells: a discriminated union on `type`. */
export type SchedulerEvent = TickEvent | SkippedEvent | RunStartedEvent | RunSucceededEvent | RunFailedEvent | StoppedEvent;

interface SchedulerEventBase {
  /** Clock time of the event, ms since the epoch. */
  at: number;
}

/** A cron tick came due. */
export interface TickEvent extends SchedulerEventBase {
  /** Discriminant. */
  type: "tick";
  /** "cron <expression> at <time>". */
  reason: string;
}

/** A tick or trigger found a run in flight: no second run is started. */
export interface SkippedEvent extends SchedulerEventBase {
  /** Discriminant. */
  type: "skipped";
  /** What asked for the run. */
  reason: string;
  /** Why it was skipped: a run in flight here, another replica holds the lease, or the lease could not be reached. */
  why: "run in flight" | "lease held" | "lease unavailable";
  /** With `why: "lease held"`: who holds it. */
  holder?: string;
  /** With `why: "lease unavailable"`: what the lease threw. */
  error?: unknown;
}

/** A run started. */
export interface RunStartedEvent extends SchedulerEventBase {
  /** Discriminant. */
  type: "run_started";
  /** Why it runs. */
  reason: string;
  /** 1 for the first attempt. */
  attempt: number;
}

/** A run finished without throwing. */
export interface RunSucceededEvent extends SchedulerEventBase {
  /** Discriminant. */
  type: "run_succeeded";
  /** Why it ran. */
  reason: string;
  /** Which attempt. */
  attempt: number;
  /** What the run function returned (a RunReport, usually). */
  result: unknown;
}

/** A run threw; the scheduler goes on. */
export interface RunFailedEvent extends SchedulerEventBase {
  /** Discriminant. */
  type: "run_failed";
  /** Why it ran. */
  reason: string;
  /** Which attempt. */
  attempt: number;
  /** What it threw. */
  error: unknown;
  /** Whether a retry is scheduled. */
  willRetry: boolean;
}

/** `stop()` finished. */
export interface StoppedEvent extends SchedulerEventBase {
  /** Discriminant. */
  type: "stopped";
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** The work: usually `({ signal, reason }) => pipeline.runBatches(source, { signal, trigger: reason })`. */
  run: (context: RunContext) => Promise<unknown>;
  /** A cron expression (croner syntax, 5 or 6 fields); checked at construction. */
  cron?: string;
  /** IANA time zone of the cron expression, e.g. "Europe/Berlin". Default the host's. */
  timezone?: string;
  /** Data-driven triggers, polled after `poke()` and after every tick and run. */
  triggers?: readonly Trigger[];
  /** Random delay added to each cron tick, up to this many ms (spreads load). Default 0. */
  jitterMs?: number;
  /** Retry failed runs with backoff. Default: no retry. */
  retry?: RetryOptions;
  /** The clock (inject a fake one in tests). */
  clock?: Clock;
  /** Randomness for jitter, in [0, 1). Default Math.random. */
  random?: () => number;
  /** Events. */
  onEvent?: (event: SchedulerEvent) => void;
  /**
   * Across replicas: a tick or trigger runs only if this scheduler holds (or
   * takes) the lease; the others report `skipped` with `why: "lease held"`
   * and the holder. The leader keeps the lease between ticks (renewing it at
   * each tick and every `ttlMs / 3` during a run) and releases it at `stop()`.
   * A run whose lease is lost is aborted through its signal.
   */
  lease?: SchedulerLeaseOptions;
}

/**
 * Runs retraining on a timetable (cron, with time zones) and when the data
 * says so (triggers), without a system crontab. Never two runs at once: a
 * tick or trigger while a run is in flight is skipped and reported. A failing
 * run is reported and, if asked, retried with backoff; it never stops the
 * scheduler. `stop()` waits for the run in flight (or aborts it through its
 * AbortSignal with `{ abort: true }`).
 *
 * @example
 * ```ts
 * import { Scheduler, manual } from "freshml";
 * const now = manual();
 * const scheduler = new Scheduler({
 *   cron: "0 3 * * *", timezone: "Europe/Berlin", // 03:00 Berlin time, every day
 *   triggers: [now],
 *   run: async ({ reason }) => reason,
 * });
 * scheduler.start();
 * now.fire("a new data drop");
 * scheduler.poke(); // runs now, with that reason
 * await scheduler.stop();
 * ```
 */
export class Scheduler {
  private readonly o: SchedulerOptions;
  private readonly clock: Clock;
  private readonly cron: Cron | null;
  private timer: TimerHandle | null = null;
  private retryTimer: TimerHandle | null = null;
  private inFlight: Promise<void> | null = null;
  private controller: AbortController | null = null;
  private started = false;
  private stopping = false;
  private grant: LeaseGrant | null = null;
  private renewTimer: TimerHandle | null = null;

  constructor(options: SchedulerOptions) {
    if (!options || typeof options.run !== "function") throw new FreshmlError("invalid_params", "Scheduler needs a run function");
    const { jitterMs = 0 } = options;
    checkParam(jitterMs >= 0 && Number.isFinite(jitterMs), "jitterMs", "a finite number ≥ 0", jitterMs);
    if (options.retry) {
      const { attempts = 3, backoffMs = 1000, factor = 2 } = options.retry;
      checkParam(Number.isInteger(attempts) && attempts >= 1, "retry.attempts", "an integer ≥ 1", attempts);
      checkParam(backoffMs >= 0, "retry.backoffMs", "≥ 0", backoffMs);
      checkParam(factor >= 1, "retry.factor", "≥ 1", factor);
    }
    this.o = options;
    this.clock = options.clock ?? systemClock;
    if (options.cron !== undefined) {
      try {
        this.cron = new Cron(options.cron, { paused: true, ...(options.timezone ? { timezone: options.timezone } : {}) });
        // An impossible expression (Feb 31st) has no next run: say so now, not at the first tick.
        if (this.cron.nextRun(new Date(this.clock.now())) === null) throw new Error("it never fires");
      } catch (err) {
        throw new FreshmlError("invalid_params", `invalid cron expression ${JSON.stringify(options.cron)}${options.timezone ? ` (time zone ${options.timezone})` : ""}: ${(err as Error).message}`, {
          param: "cron",
          observed: options.cron,
        });
      }
    } else this.cron = null;
  }

  /**
   * With the `lease` option: the grant this scheduler holds now (renewed
   * during runs), or null when it does not lead. Give it to a pipeline as
   * `fence: () => scheduler.heldLease`, so every write of its runs is fenced.
   */
  get heldLease(): LeaseGrant | null {
    return this.grant;
  }

  /** Whether a run is in flight. */
  get running(): boolean {
    return this.inFlight !== null;
  }

  /** The next cron tick (ms since the epoch), or null without cron or once stopped. */
  nextTick(): number | null {
    if (!this.cron || this.stopping) return null;
    return this.cron.nextRun(new Date(this.clock.now()))?.getTime() ?? null;
  }

  /** Starts the timetable. Idempotent. */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.schedule();
  }

  /** Polls the triggers now (call after feeding data); runs if one fires and none is in flight. */
  poke(): void {
    if (this.stopping) return;
    for (const t of this.o.triggers ?? []) {
      const reason = t.poll();
      if (reason === null) continue;
      if (this.inFlight) {
        this.emit({ type: "skipped", at: this.clock.now(), reason: `${t.name}: ${reason}`, why: "run in flight" });
        return; // polled again when the run ends
      }
      t.reset();
      this.begin(`${t.name}: ${reason}`);
      return;
    }
  }

  /**
   * Stops the timetable and the triggers, then waits for the run in flight —
   * or, with `{ abort: true }`, aborts it through its signal first.
   */
  async stop(options: { abort?: boolean } = {}): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.timer = this.retryTimer = null;
    if (options.abort) this.controller?.abort();
    if (this.inFlight) await this.inFlight;
    if (this.grant && this.o.lease) {
      const grant = this.grant;
      this.grant = null;
      await this.o.lease.lease.release(grant).catch(() => undefined);
    }
    this.emit({ type: "stopped", at: this.clock.now() });
  }

  private schedule(): void {
    if (!this.cron || this.stopping) return;
    const now = this.clock.now();
    const next = this.cron.nextRun(new Date(now));
    if (!next) return;
    const jitter = (this.o.jitterMs ?? 0) * (this.o.random ?? Math.random)();
    const due = next.getTime();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      const reason = `cron ${this.o.cron} at ${new Date(due).toISOString()}`;
      this.emit({ type: "tick", at: this.clock.now(), reason });
      if (this.inFlight) this.emit({ type: "skipped", at: this.clock.now(), reason, why: "run in flight" });
      else this.begin(reason);
      this.schedule();
    }, due - now + jitter);
  }

  /** Starts a run, first taking (or renewing) the lease when there is one. */
  private begin(reason: string): void {
    const l = this.o.lease;
    if (!l) {
      this.launch(reason, 1);
      return;
    }
    const acquiring = (async (): Promise<boolean> => {
      await null;
      try {
        const attempt = await l.lease.acquire(l.name, l.holder, { ttlMs: l.ttlMs });
        if (attempt.acquired) {
          this.grant = attempt.grant;
          return true;
        }
        this.grant = null;
        this.emit({ type: "skipped", at: this.clock.now(), reason, why: "lease held", holder: attempt.holder.holder });
      } catch (error) {
        this.emit({ type: "skipped", at: this.clock.now(), reason, why: "lease unavailable", error });
      }
      return false;
    })();
    // Counts as in flight while the lease is asked: no second run meanwhile.
    const gate = acquiring.then((ok) => {
      this.inFlight = null;
      if (ok && !this.stopping) this.launch(reason, 1);
    });
    this.inFlight = gate;
  }

  private renewLater(controller: AbortController): void {
    const l = this.o.lease;
    if (!l || !this.grant) return;
    this.renewTimer = this.clock.setTimeout(() => {
      this.renewTimer = null;
      const grant = this.grant;
      if (!grant || controller.signal.aborted || this.controller !== controller) return;
      l.lease.renew(grant, { ttlMs: l.ttlMs }).then(
        (g) => {
          if (this.grant === grant) this.grant = g;
          if (this.controller === controller) this.renewLater(controller);
        },
        () => {
          // Lost (or unreachable past its end): stop the run; its fenced writes would be refused anyway.
          this.grant = null;
          controller.abort();
        },
      );
    }, Math.max(1, Math.floor(l.ttlMs / 3)));
  }

  private launch(reason: string, attempt: number): void {
    const controller = new AbortController();
    this.controller = controller;
    this.emit({ type: "run_started", at: this.clock.now(), reason, attempt });
    this.renewLater(controller);
    const run = (async (): Promise<void> => {
      // Yield first, so inFlight is set below before the body (and its finally) can run.
      await null;
      try {
        const result = await this.o.run({ signal: controller.signal, reason, attempt, ...(this.grant ? { lease: this.grant } : {}) });
        this.emit({ type: "run_succeeded", at: this.clock.now(), reason, attempt, result });
      } catch (error) {
        const { attempts = 3, backoffMs = 1000, factor = 2 } = this.o.retry ?? { attempts: 1 };
        const willRetry = !this.stopping && !controller.signal.aborted && attempt < attempts;
        this.emit({ type: "run_failed", at: this.clock.now(), reason, attempt, error, willRetry });
        if (willRetry) {
          this.retryTimer = this.clock.setTimeout(() => {
            this.retryTimer = null;
            if (!this.stopping && !this.inFlight) this.launch(`${reason} (retry ${attempt})`, attempt + 1);
          }, backoffMs * factor ** (attempt - 1));
        }
      } finally {
        this.inFlight = null;
        this.controller = null;
        if (this.renewTimer !== null) this.clock.clearTimeout(this.renewTimer);
        this.renewTimer = null;
      }
    })();
    this.inFlight = run;
    // Triggers that fired meanwhile get their turn once this run is over.
    void run.then(() => this.poke());
  }

  private emit(e: SchedulerEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch {
      // A listener's failure must not stop the scheduler.
    }
  }
}
