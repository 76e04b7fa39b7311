import { readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, type ResourceLimits } from "node:worker_threads";
import { FreshmlError, isFreshmlError } from "../core/errors.js";
import { builtinTrainers, type TrainerRegistry } from "../learners/registry.js";
import type { Pipeline, PipelineEvent, RunOptions, SourceBatch } from "../pipeline/pipeline.js";
import type { RunReport } from "../pipeline/report.js";
import { loadModel, type ServingModel } from "../pipeline/serving.js";
import type { ModelStore } from "../store/model-store.js";
import { FileModelStore } from "./file-model-store.js";
import { forTransfer, fromWire, toWire, type FileStoreDescriptor, type FromWorker, type RunNews, type ToWorker, type WorkerInit, type WorkerSourceInit } from "./worker-protocol.js";
import { checkNiceIncrement, type ThreadPriority } from "./thread-priority.js";
import { bootstrapCode, workerScript } from "./worker-script.js";

export type { FileStoreDescriptor } from "./worker-protocol.js";

/** What the factory in the user's module receives, in the worker. */
export interface WorkerPipelineContext<A = unknown> {
  /** The store opened in the worker from the descriptor: build the Pipeline on it. */
  store: FileModelStore;
  /** `args` of {@link WorkerPipelineOptions}, structured-cloned. */
  args: A;
}

/** The function a worker module exports (by default as `createPipeline`): builds the pipeline inside the worker. */
export type WorkerPipelineFactory<A = unknown> = (context: WorkerPipelineContext<A>) => Pipeline | Promise<Pipeline>;

/** Options of {@link WorkerPipeline}. */
export interface WorkerPipelineOptions<A = unknown> {
  /**
   * The module that builds the pipeline inside the worker: an absolute path,
   * a `file:` URL, or a package specifier the worker can import. Its schema,
   * validators, trainer (custom ones through its own imports and registry)
   * live there: they cannot cross threads as objects.
   */
  module: string | URL;
  /** The exported factory's name. Default `"createPipeline"`. */
  export?: string;
  /** Passed to the factory (structured-cloned: plain data only). */
  args?: A;
  /**
   * The store, opened in the worker: a {@link FileModelStore} (its root is
   * sent) or a descriptor. A MemoryModelStore is refused (`unsupported`):
   * what a worker learns into memory is lost when it ends.
   */
  store: FileModelStore | FileStoreDescriptor;
  /** Restores custom trainers for {@link WorkerPipeline.serving} in this thread, static `fromJSON` or not (this thread never sees the worker's trainer). Default the built-in trainers. */
  registry?: TrainerRegistry;
  /** The worker's heap limits; a worker that exceeds them ends with `worker_failed` (reason `out_of_memory`). */
  resourceLimits?: ResourceLimits;
  /** Batches sent ahead of the one the worker is learning. Default 2. */
  prefetch?: number;
  /**
   * During a run, {@link WorkerPipeline.serving} is reloaded at most this
   * often (ms) after promotions, with the newest champion (those promoted in
   * between are skipped), and always at the end of the run. Default 200.
   */
  servingReloadMs?: number;
  /**
   * Raise the worker thread's nice value by this much (0–19), in the worker
   * thread itself, so that when the cores are busy the host's main thread
   * (HTTP answers, timers) gets them first; the worker only slows down when
   * the host actually wants the CPU. Default 19, the lowest priority
   * (piscina's default is 0): in `npm run bench:event-loop` on 2 cores it
   * kept the host's HTTP p99 during a run within 2× idle where 10 did not
   * (see docs/service.md). The price: while every core is busy with
   * normal-priority work, a nice-19 worker gets about 1.5 % of a core and
   * its run all but stops; set 10 or 0 when retraining must progress under a
   * sustained full load. Linux
   * only (the thread's id from /proc/thread-self; setpriority on a thread id
   * changes that thread alone); elsewhere, or if the OS refuses, nothing
   * changes and {@link WorkerPipeline.priority} says so. 0 leaves it as is.
   */
  niceIncrement?: number;
}

/**
 * A source that the worker builds and reads itself: the worker imports
 * `module` and calls its export, which returns the batches (an array,
 * Iterable or AsyncIterable, or a Promise of one). Pass it to
 * {@link WorkerPipeline.runBatches} in place of batches when the data can
 * be read where it is learned (a file, a database, a queue): the main
 * thread then touches no batch at all, neither to read it nor to send it,
 * which is what keeps a busy service's latency flat during a run (see
 * docs/service.md).
 *
 * @example
 * ```ts
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { FileModelStore, WorkerPipeline, type WorkerSource } from "freshml/node";
 * // examples/service-pipeline.ts exports createPipeline and createSource({ args: { days } }).
 * const module = join(process.cwd(), "examples/service-pipeline.ts");
 * const worker = new WorkerPipeline({ module, store: new FileModelStore(mkdtempSync(join(tmpdir(), "freshml-"))) });
 * const days: WorkerSource<{ days: number }> = { module, export: "createSource", args: { days: 3 } };
 * const report = await worker.runBatches(days);
 * report.batches.accepted; // 3
 * await worker.close();
 * ```
 */
export interface WorkerSource<S = unknown> {
  /** The module whose export builds the source in the worker: an absolute path, a `file:` URL or a package specifier. */
  module: string | URL;
  /** The exported function's name. Default `"createSource"`. */
  export?: string;
  /** Passed to it (structured-cloned: plain data only). */
  args?: S;
}

/** What a {@link WorkerSource}'s exported function receives, in the worker. */
export interface WorkerSourceContext<S = unknown> {
  /** The source's `args`. */
  args: S;
  /** The store the worker opened (the pipeline's). */
  store: FileModelStore;
  /** Aborted when the run is (the pipeline also stops taking batches). */
  signal: AbortSignal;
}

/** The function a {@link WorkerSource}'s module exports. */
export type WorkerSourceFactory<S = unknown> = (context: WorkerSourceContext<S>) => Iterable<SourceBatch> | AsyncIterable<SourceBatch> | Promise<Iterable<SourceBatch> | AsyncIterable<SourceBatch>>;

/**
 * The module as the worker imports it: a path for `file:` URLs, else the
 * string as given. A relative path is refused: the worker would resolve it
 * against freshml's own files, not the caller's.
 */
function workerModule(module: string | URL, param: string): string {
  const m = module instanceof URL ? module.href : module;
  if (m.startsWith("./") || m.startsWith("../") || m === "." || m === "..") {
    throw new FreshmlError("invalid_params", `${param} ${JSON.stringify(m)} is relative, and a worker has no importing file to resolve it against: pass an absolute path or new URL(${JSON.stringify(m)}, import.meta.url)`, { param });
  }
  return m.startsWith("file:") ? fileURLToPath(m) : m;
}

/** Whether `source` is a {@link WorkerSource} (not batches): an object with a `module`, and not iterable. */
function isWorkerSource(source: unknown): source is WorkerSource {
  return (
    typeof source === "object" &&
    source !== null &&
    !(Symbol.iterator in source) &&
    !(Symbol.asyncIterator in source) &&
    "module" in source &&
    (typeof (source as WorkerSource).module === "string" || (source as WorkerSource).module instanceof URL)
  );
}

/** Options of {@link WorkerPipeline.runBatches}: those of `Pipeline.runBatches`, and how batches cross. */
export interface WorkerRunOptions extends RunOptions {
  /**
   * Numeric batches' `Float64Array` X and y are transferred to the worker, not
   * copied (default true): **the caller's arrays are detached** (length 0)
   * once sent. false: they are copied and stay usable. Row objects and
   * `number[][]` are always copied (structured clone).
   */
  transfer?: boolean;
}

interface PendingRun {
  resolve(report: RunReport): void;
  reject(err: unknown): void;
  credit(n: number): void;
  options: WorkerRunOptions;
  /** An error thrown by the caller's callbacks or source: the run's outcome, whatever the worker says. */
  local: unknown;
}

/**
 * A {@link Pipeline} that runs in a worker thread, so a retraining run never
 * stalls the host's event loop (HTTP answers, timers) however long a batch
 * takes. The pipeline is built inside the worker by a factory in your module
 * (schemas, validators and trainers cannot cross threads as objects), on a
 * FileModelStore opened there from the same folder.
 *
 * - **Same runs.** `runBatches(source, options)` takes the same source and
 *   options as `Pipeline.runBatches` and resolves to the same {@link RunReport};
 *   progress and events arrive typed, in order, through `onProgress` / `onEvent`.
 * - **Batches cross as transfers.** The main thread iterates your source and
 *   sends a few batches ahead of the worker (`prefetch`); Float64Array buffers
 *   are transferred, not copied (the caller's arrays are detached; `transfer:
 *   false` copies).
 * - **Abort** with `signal`: the worker's run stops at its next check; the report says where.
 * - **Failure.** A worker that crashes, is terminated or runs out of memory
 *   (`resourceLimits`) rejects the run with `worker_failed` (`details.reason`).
 *   The store stays consistent (every write is atomic; a lock the dead worker
 *   held is broken); the next run starts a new worker whose pipeline restores
 *   from the last checkpoint. Re-send the batches after it: batch ids make
 *   re-delivery exact.
 * - **Serving.** {@link WorkerPipeline.serving} is the champion loaded in this
 *   thread from the store, reloaded whenever the worker saves a new one.
 *
 * One run at a time (`run_in_progress`). The worker lives from the first run to
 * {@link WorkerPipeline.close}, keeping the pipeline's state between runs.
 *
 * The module the worker imports builds the pipeline on the store it is given;
 * `examples/service-pipeline.ts` in this repository is one:
 * ```typescript
 * // service-pipeline.ts
 * export function createPipeline({ store }: { store: ModelStore }): Pipeline {
 *   return new Pipeline({ name: "load", schema: Row, target: "load", trainer: new LinearRegression({ l2: 1e-3 }), store });
 * }
 * ```
 *
 * @example
 * ```ts
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { FileModelStore, WorkerPipeline } from "freshml/node";
 * const store = new FileModelStore(mkdtempSync(join(tmpdir(), "freshml-")));
 * const worker = new WorkerPipeline({ module: join(process.cwd(), "examples/service-pipeline.ts"), store });
 * const rows = Array.from({ length: 200 }, (_, i) => ({ temp: i % 30, hour: i % 24, load: 40 + 1.5 * (i % 30) + 0.8 * (i % 24) }));
 * const report = await worker.runBatches([rows], { onEvent: (e) => console.log(e.type) });
 * report.batches.accepted; // 1
 * worker.serving?.predictRows([{ temp: 20, hour: 12 }]); // ≈ [79.6]: the champion, loaded in this thread
 * await worker.close();
 * ```
 */
export class WorkerPipeline<A = unknown> {
  private readonly init: WorkerInit;
  private readonly registry: TrainerRegistry;
  private readonly resourceLimits: ResourceLimits | undefined;
  private readonly mainStore: ModelStore;
  private current: Worker | null = null;
  private ready: Promise<Worker> | null = null;
  private pending: PendingRun | null = null;
  private cleanup: Promise<void> = Promise.resolve();
  private modelName: string | null = null;
  private servingModel: ServingModel | null = null;
  private refreshing: Promise<ServingModel | null> | null = null;
  private closed = false;
  private readonly servingReloadMs: number;
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;
  private lastReload = -Infinity;
  private threadPriority: ThreadPriority | null = null;

  constructor(options: WorkerPipelineOptions<A>) {
    if (!options || (typeof options.module !== "string" && !(options.module instanceof URL))) {
      throw new FreshmlError("invalid_params", "WorkerPipeline needs module: the path or URL of a module whose export builds the Pipeline", { param: "module" });
    }
    const store = options.store as unknown;
    let descriptor: FileStoreDescriptor;
    if (store instanceof FileModelStore) descriptor = { type: "file", root: store.root };
    else if (store && typeof store === "object" && (store as FileStoreDescriptor).type === "file" && typeof (store as FileStoreDescriptor).root === "string") {
      descriptor = { ...(store as FileStoreDescriptor) };
    } else if (store && typeof store === "object" && typeof (store as ModelStore).put === "function") {
      throw new FreshmlError(
        "unsupported",
        `a worker cannot use a ${(store as object).constructor?.name ?? "store"} object: stores do not cross threads, and what a worker learns into memory is lost when it ends. Pass a FileModelStore (or { type: "file", root })`,
        { param: "store" },
      );
    } else throw new FreshmlError("invalid_params", 'store must be a FileModelStore or { type: "file", root }', { param: "store" });
    const prefetch = options.prefetch ?? 2;
    if (!Number.isInteger(prefetch) || prefetch < 1) throw new FreshmlError("invalid_params", `prefetch must be a positive integer, got ${String(prefetch)}`, { param: "prefetch" });
    const servingReloadMs = options.servingReloadMs ?? 200;
    if (!(typeof servingReloadMs === "number" && servingReloadMs >= 0)) throw new FreshmlError("invalid_params", `servingReloadMs must be a number ≥ 0, got ${String(servingReloadMs)}`, { param: "servingReloadMs" });
    this.servingReloadMs = servingReloadMs;
    const niceIncrement = checkNiceIncrement(options.niceIncrement, 19);
    this.init = { module: workerModule(options.module, "module"), export: options.export ?? "createPipeline", args: options.args, store: descriptor, prefetch, niceIncrement };
    this.registry = options.registry ?? builtinTrainers;
    this.resourceLimits = options.resourceLimits;
    this.mainStore = store instanceof FileModelStore ? store : new FileModelStore(descriptor.root);
  }

  /** The worker thread while one runs (null before the first run, after a failure and after close). For tests and monitoring. */
  get worker(): Worker | null {
    return this.current;
  }

  /**
   * Whether the worker thread's CPU priority was lowered by `niceIncrement`
   * (`applied`, and `reason` when not): null until the worker has started.
   */
  get priority(): ThreadPriority | null {
    return this.threadPriority;
  }

  /** The model name of the pipeline in the worker (null until the worker has built it). */
  get name(): string | null {
    return this.modelName;
  }

  /** The champion, loaded in this thread (null before one is saved): reloaded after the worker saves a new champion (at most every `servingReloadMs`), and at the end of each run. */
  get serving(): ServingModel | null {
    return this.servingModel;
  }

  /** Reads the champion alias and loads the champion if it changed (for a champion another process may have promoted). */
  async refreshServing(): Promise<ServingModel | null> {
    if (this.modelName === null) return this.servingModel;
    const name = this.modelName;
    const previous = this.refreshing ?? Promise.resolve(null);
    const next = previous.then(async () => {
      const version = await this.mainStore.resolveAlias(name, "champion");
      if (version !== null && version !== this.servingModel?.version) this.servingModel = await loadModel(this.mainStore, name, version, { registry: this.registry });
      return this.servingModel;
    });
    this.refreshing = next.catch(() => null);
    return next;
  }

  /**
   * Runs the pipeline in the worker over `source` and resolves to the
   * worker's report. `source` is either the batches `Pipeline.runBatches`
   * takes (an array, Iterable or AsyncIterable), iterated here in the main
   * thread and sent to the worker a few ahead, or a {@link WorkerSource}
   * that the worker builds and reads itself.
   */
  async runBatches(source: Iterable<SourceBatch> | AsyncIterable<SourceBatch> | WorkerSource, options: WorkerRunOptions = {}): Promise<RunReport> {
    if (this.closed) throw new FreshmlError("invalid_state", "this WorkerPipeline is closed");
    if (this.pending) throw new FreshmlError("run_in_progress", "a WorkerPipeline runs one run at a time");
    let own: WorkerSourceInit | undefined;
    if (isWorkerSource(source)) {
      if (source.export !== undefined && typeof source.export !== "string") throw new FreshmlError("invalid_params", "source.export must be a string", { param: "source.export" });
      own = { module: workerModule(source.module, "source.module"), export: source.export ?? "createSource", args: source.args };
    } else if (source === null || typeof source !== "object" || !(Symbol.iterator in source || Symbol.asyncIterator in source)) {
      throw new FreshmlError("invalid_params", "source must be batches (an array, Iterable or AsyncIterable) or a WorkerSource ({ module, export?, args? })", { param: "source" });
    }
    const transfer = options.transfer ?? true;
    let credit = 0;
    let pump: (() => void) | null = null;
    const run: PendingRun = {
      resolve: () => undefined,
      reject: () => undefined,
      credit: (n) => {
        credit += n;
        const p = pump;
        pump = null;
        p?.();
      },
      options,
      local: undefined,
    };
    this.pending = run;
    try {
      const worker = await this.start();
      const outcome = new Promise<RunReport>((resolve, reject) => {
        run.resolve = resolve;
        run.reject = reject;
      });
      const post = (m: ToWorker, list: ArrayBuffer[] = []): void => worker.postMessage(m, list);
      const onAbort = (): void => post({ type: "abort" });
      options.signal?.addEventListener("abort", onAbort, { once: true });
      post({
        type: "run",
        aborted: options.signal?.aborted === true,
        ...(options.trigger !== undefined ? { trigger: options.trigger } : {}),
        ...(options.resume !== undefined ? { resume: options.resume } : {}),
        ...(own ? { source: own } : {}),
      });
      let finished = false;
      const feeding = (async (): Promise<void> => {
        if (own) return; // the worker reads its own source
        const it = Symbol.asyncIterator in source ? (source as AsyncIterable<SourceBatch>)[Symbol.asyncIterator]() : (source as Iterable<SourceBatch>)[Symbol.iterator]();
        try {
          for (;;) {
            while (credit === 0 && !finished) await new Promise<void>((r) => (pump = r));
            if (finished) return;
            const next = await it.next();
            if (finished) return;
            if (next.done) return post({ type: "end" });
            credit--;
            const { batch, transferList } = forTransfer(next.value, transfer);
            post({ type: "batch", batch }, transferList);
          }
        } catch (err) {
          if (!finished) {
            run.local ??= err;
            post({ type: "source_error", error: toWire(err) });
          }
        } finally {
          if (finished) await it.return?.();
        }
      })();
      try {
        return await outcome;
      } finally {
        finished = true;
        const p = pump as (() => void) | null;
        p?.();
        options.signal?.removeEventListener("abort", onAbort);
        await feeding.catch(() => undefined);
      }
    } finally {
      this.pending = null;
      if (this.modelName !== null) await this.refreshServing().catch(() => null);
    }
  }

  /** Ends the worker (waiting for nothing: call it between runs). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.reloadTimer !== null) clearTimeout(this.reloadTimer);
    this.reloadTimer = null;
    const w = this.current;
    if (w) await w.terminate();
    await this.cleanup;
  }

  /** The running worker, started (and its pipeline built) if needed. */
  private start(): Promise<Worker> {
    if (this.ready) return this.ready;
    const ready = this.cleanup.then(
      () =>
        new Promise<Worker>((resolve, reject) => {
          const worker = new Worker(bootstrapCode(workerScript("worker-entry")), {
            eval: true,
            workerData: this.init,
            ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
          });
          this.current = worker;
          let started = false;
          let crash: unknown = null;
          worker.on("message", (m: FromWorker) => {
            if (m.type === "ready") {
              started = true;
              this.modelName = m.name;
              this.threadPriority = m.priority;
              resolve(worker);
              return;
            }
            if (m.type === "init_failed") {
              started = true;
              reject(fromWire(m.error, `${this.init.module}'s ${this.init.export}`));
              void worker.terminate();
              return;
            }
            this.onMessage(m);
          });
          worker.on("error", (err) => (crash = err));
          worker.on("exit", (code) => {
            const failure = workerFailure(crash, code);
            if (this.current === worker) this.current = null;
            if (this.ready === ready) this.ready = null;
            const threadId = worker.threadId;
            this.cleanup = this.cleanup.then(() => this.breakLocksOf(threadId)).catch(() => undefined);
            if (!started) reject(failure);
            const run = this.pending;
            if (run && started) run.reject(run.local ?? failure);
          });
        }),
    );
    this.ready = ready;
    ready.catch(() => {
      if (this.ready === ready) this.ready = null;
    });
    return ready;
  }

  private onMessage(m: FromWorker): void {
    const run = this.pending;
    if (!run) return;
    try {
      switch (m.type) {
        case "pull":
        case "progress":
        case "event":
          this.onNews(m, run);
          return;
        case "news":
          for (const item of m.items) this.onNews(item, run);
          return;
        case "done":
          if (m.finished && run.local === undefined) {
            try {
              this.onEvent({ type: "run_finished", report: m.report }, run);
            } catch (err) {
              run.local = err; // the caller's callback threw: that is the run's outcome, as in-thread
            }
          }
          if (run.local !== undefined) run.reject(run.local);
          else run.resolve(m.report);
          return;
        case "failed":
          run.reject(run.local ?? fromWire(m.error, "the pipeline in the worker"));
          return;
      }
    } catch (err) {
      // A callback of the caller threw: stop the run, and make that error its outcome.
      run.local ??= err;
      this.current?.postMessage({ type: "abort" } satisfies ToWorker);
    }
  }

  private onNews(m: RunNews, run: PendingRun): void {
    if (m.type === "pull") run.credit(m.n);
    else if (m.type === "progress") run.options.onProgress?.(m.progress);
    else this.onEvent(m.event, run);
  }

  private onEvent(event: PipelineEvent, run: PendingRun): void {
    if (event.type === "checkpoint_saved" && event.kind === "champion") this.scheduleReload();
    run.options.onEvent?.(event);
  }

  /**
   * Reloads the serving champion after a promotion, at most every
   * `servingReloadMs`: a run that promotes at every batch would otherwise
   * have this thread read and parse a model at every batch. The reload
   * loads the newest champion; the ones promoted in between are skipped.
   */
  private scheduleReload(): void {
    if (this.reloadTimer !== null) return; // the one scheduled will load the newest champion
    const wait = Math.max(0, this.lastReload + this.servingReloadMs - performance.now());
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      this.lastReload = performance.now();
      void this.refreshServing().catch(() => null);
    }, wait);
    this.reloadTimer.unref?.();
  }

  /** Breaks the store lock a dead worker held (its process is alive, so the pid rule of the lock would wait it out). */
  private async breakLocksOf(threadId: number): Promise<void> {
    if (this.modelName === null) return;
    const lock = join(this.init.store.root, this.modelName, "lock");
    let owner: { pid?: unknown; thread?: unknown; token?: unknown };
    try {
      owner = JSON.parse(await readFile(join(lock, "owner.json"), "utf8")) as typeof owner;
    } catch {
      return;
    }
    if (owner.pid !== process.pid || owner.thread !== threadId) return;
    await rename(lock, `${lock}.stale-${process.pid}-${String(owner.token)}`).catch(() => undefined);
  }
}

/** The typed error for a worker that ended. */
function workerFailure(crash: unknown, exitCode: number): FreshmlError {
  const code = (crash as { code?: unknown } | null)?.code;
  if (code === "ERR_WORKER_OUT_OF_MEMORY") return new FreshmlError("worker_failed", `the worker ran out of memory (resourceLimits): ${(crash as Error).message}`, { reason: "out_of_memory", exitCode });
  if (crash) {
    if (isFreshmlError(crash)) return new FreshmlError("worker_failed", `the worker crashed: ${crash.message}`, { reason: "crashed", exitCode, cause: crash.toJSON() });
    return new FreshmlError("worker_failed", `the worker crashed: ${crash instanceof Error ? `${crash.name}: ${crash.message}` : String(crash)}`, { reason: "crashed", exitCode });
  }
  return new FreshmlError("worker_failed", `the worker exited (code ${exitCode}) before the run finished`, { reason: "exited", exitCode });
}

/**
 * One run in a worker thread: starts a {@link WorkerPipeline}, runs `source`,
 * ends the worker. For repeated runs keep a WorkerPipeline instead (the
 * worker keeps the pipeline's state between runs).
 *
 * @example
 * ```ts
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { FileModelStore, runInWorker } from "freshml/node";
 * const store = new FileModelStore(mkdtempSync(join(tmpdir(), "freshml-")));
 * const rows = Array.from({ length: 100 }, (_, i) => ({ temp: i % 30, hour: i % 24, load: 40 + 1.5 * (i % 30) }));
 * const report = await runInWorker({ module: join(process.cwd(), "examples/service-pipeline.ts"), store }, [{ id: "day-1", rows }]);
 * report.batches.accepted; // 1
 * ```
 */
export async function runInWorker<A = unknown>(options: WorkerPipelineOptions<A>, source: Iterable<SourceBatch> | AsyncIterable<SourceBatch> | WorkerSource, runOptions: WorkerRunOptions = {}): Promise<RunReport> {
  const w = new WorkerPipeline(options);
  try {
    return await w.runBatches(source, runOptions);
  } finally {
    await w.close();
  }
}
