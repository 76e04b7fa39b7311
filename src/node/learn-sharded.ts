import { fileURLToPath } from "node:url";
import { availableParallelism } from "node:os";
import type { ResourceLimits } from "node:worker_threads";
import { Piscina } from "piscina";
import { readBatch, type Batch } from "../core/batch.js";
import { FreshmlError, isFreshmlError } from "../core/errors.js";
import { builtinTrainers, restoreTrainer, type TrainerRegistry } from "../learners/registry.js";
import type { Trainer, TrainerJSON } from "../learners/trainer.js";
import { fromWire } from "./worker-protocol.js";
import type { ShardResult, ShardTask } from "./shard-worker.js";
import { checkNiceIncrement, type ThreadPriority } from "./thread-priority.js";
import type { WorkerPipelineOptions } from "./worker-pipeline.js";
import { tsxLoaderURL, workerScript } from "./worker-script.js";

/** Options of {@link ShardPool}. */
export interface ShardPoolOptions {
  /** Worker threads. Default the machine's available parallelism. */
  threads?: number;
  /**
   * Custom trainers: a module (absolute path, `file:` URL or package specifier)
   * exporting `registry`, a TrainerRegistry, imported in each worker. Built-in
   * trainers need nothing.
   */
  registryModule?: string | URL;
  /** The registry that restores the same custom trainers in this thread (to merge the shards). */
  registry?: TrainerRegistry;
  /** Each worker's heap limits; a shard that exceeds them fails with `worker_failed` (reason `out_of_memory`). */
  resourceLimits?: ResourceLimits;
  /**
   * Raise each worker thread's nice value by this much (0–19), in the thread
   * itself before its first shard, so the host's main thread gets the cores
   * first when they are busy. Default 0, as piscina's (its own option needs an
   * optional native module, this one does not), unlike
   * {@link WorkerPipelineOptions.niceIncrement}'s 10: in `npm run
   * bench:event-loop` a pool at +10 left the host's event-loop delay no
   * lower (p99 2.05 vs 1.95 ms) and took 8–17 % longer, since the caller
   * waits for its shards anyway. Set it for a pool in a thread that answers
   * requests. Linux only; elsewhere {@link ShardPool.priority} says it was not
   * applied.
   */
  niceIncrement?: number;
}

/**
 * A pool of worker threads (piscina) that learns shards of a batch for
 * {@link learnSharded}. Start one per process and reuse it: a worker costs
 * tens of milliseconds to start. `close()` ends the threads.
 *
 * @example
 * ```ts
 * import { ShardPool } from "freshml/node";
 * const pool = new ShardPool({ threads: 2 });
 * pool.threads; // 2
 * await pool.close();
 * ```
 */
export class ShardPool {
  /** Worker threads. */
  readonly threads: number;
  /** The module workers import `registry` from, if any. */
  readonly registryModule: string | undefined;
  /** Restores trainers in this thread. */
  readonly registry: TrainerRegistry;
  private readonly piscina: Piscina;
  /** Shared memory the shards are copied into, kept between calls (fresh memory costs more to touch than to copy into). */
  private scratch: SharedArrayBuffer | null = null;
  private scratchBusy = false;
  /** Raise each worker's nice value by this much. */
  readonly niceIncrement: number;
  private reported: ThreadPriority | null = null;

  constructor(options: ShardPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new FreshmlError("invalid_params", `threads must be a positive integer, got ${String(threads)}`, { param: "threads" });
    this.threads = threads;
    const m = options.registryModule;
    this.registryModule = m === undefined ? undefined : m instanceof URL ? fileURLToPath(m) : m.startsWith("file:") ? fileURLToPath(m) : m;
    this.registry = options.registry ?? builtinTrainers;
    this.niceIncrement = checkNiceIncrement(options.niceIncrement, 0);
    const script = workerScript("shard-worker");
    this.piscina = new Piscina({
      filename: script.url.href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      ...(script.typescript ? { execArgv: [...process.execArgv, "--import", tsxLoaderURL()] } : {}),
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
  }

  /**
   * Whether the workers' CPU priority was lowered by `niceIncrement`: null
   * until a worker has learned a shard; not `applied` (with the `reason`) as
   * soon as one worker could not lower its own.
   */
  get priority(): ThreadPriority | null {
    return this.reported;
  }

  /**
   * Learns one shard in a worker (used by {@link learnSharded}).
   * @internal
   */
  async learn(task: Omit<ShardTask, "niceIncrement">, transferList: ArrayBuffer[]): Promise<ShardResult> {
    try {
      const result = (await this.piscina.run({ ...task, niceIncrement: this.niceIncrement }, { transferList })) as ShardResult;
      if (this.reported === null || this.reported.applied) this.reported = result.priority;
      return result;
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      const reason = code === "ERR_WORKER_OUT_OF_MEMORY" ? "out_of_memory" : "crashed";
      throw new FreshmlError("worker_failed", `a shard's worker failed: ${err instanceof Error ? err.message : String(err)}`, { reason });
    }
  }

  /**
   * Shared memory of at least `bytes` for one call (released with the returned function).
   * @internal
   */
  borrow(bytes: number): { memory: SharedArrayBuffer; release: () => void } {
    if (this.scratchBusy) return { memory: new SharedArrayBuffer(bytes), release: () => undefined }; // a concurrent call: its own
    if (!this.scratch || this.scratch.byteLength < bytes) this.scratch = new SharedArrayBuffer(bytes);
    this.scratchBusy = true;
    return { memory: this.scratch, release: () => (this.scratchBusy = false) };
  }

  /** Ends the worker threads. */
  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}

/** Options of {@link learnSharded}. */
export interface LearnShardedOptions {
  /** The worker pool. */
  pool: ShardPool;
  /**
   * Shards: a count (equal contiguous row ranges; default the pool's threads,
   * plus one with `inThisThread`), or the row count of each shard in order
   * (they must add up to the batch's rows).
   */
  shards?: number | readonly number[];
  /**
   * The calling thread learns the first shard itself, straight from your
   * arrays (no copy), while the pool learns the others. Faster, but this
   * thread is busy for as long as that shard takes: its timers and I/O wait.
   * For batch jobs, not for a thread that answers requests. Default false.
   */
  inThisThread?: boolean;
}

/** Timings of one {@link learnSharded} call, for tuning. */
export interface ShardTimings {
  /** Rows of each shard. */
  rows: number[];
  /** ms each shard's worker spent restoring, learning and serialising (a shard learned in this thread: its learning time here). */
  workerMs: number[];
  /** ms from the first task sent to the last result back. */
  wallMs: number;
  /** ms merging the shards' states in this thread. */
  mergeMs: number;
}

/** What {@link learnSharded} gives: the trainer that learned the batch, and where the time went. */
export interface ShardedResult<T extends Trainer = Trainer> {
  /** A copy of the trainer that has learned the batch (the trainer passed in is unchanged). */
  trainer: T;
  /** Timings. */
  timings: ShardTimings;
}

/**
 * Learns one batch across cores: splits it into shards of consecutive rows,
 * each shard is learned by an unfitted copy of `trainer` in a worker of the
 * pool, and the shards' states are merged in order into a copy of `trainer`.
 * For the exact mergeable learners (LinearRegression, GaussianNB, the
 * baselines) the result equals `trainer.copy().update(batch)` up to the
 * rounding of sums in another order (relative 1e-12); for LastValueRegressor
 * and LastClassClassifier, exactly.
 *
 * Only learners with `merge` can be sharded: others are `unsupported` (run
 * them in one worker with {@link WorkerPipeline}). The workers read the rows
 * in place from shared memory: an `X` and `y` on a SharedArrayBuffer are read
 * as they are (no copy); others are copied once into the pool's shared
 * scratch memory (kept between calls), in slices with the event loop handed
 * back between them. The caller's arrays are never changed or detached; don't
 * change them while the call runs. With `inThisThread` the calling thread
 * learns the first shard itself, from your arrays. A pool pays off from tens
 * of thousands of rows (see docs/service.md for the measured overhead per
 * shard and the break-even batch size).
 *
 * @example
 * ```ts
 * import { LinearRegression } from "freshml";
 * import { ShardPool, learnSharded } from "freshml/node";
 * const pool = new ShardPool({ threads: 2 });
 * const X = new Float64Array(2000).map((_, k) => Math.sin(k));
 * const y = new Float64Array(1000).map((_, i) => 2 * X[2 * i]! - X[2 * i + 1]! + 1);
 * const { trainer } = await learnSharded(new LinearRegression(), { X, cols: 2, y }, { pool });
 * trainer.coefficients(); // ≈ { weights: [2, -1], intercept: 1 }, as one update of the whole batch gives
 * await pool.close();
 * ```
 */
export async function learnSharded<T extends Trainer>(trainer: T, batch: Batch, options: LearnShardedOptions): Promise<ShardedResult<T>> {
  if (!trainer || typeof trainer.update !== "function") throw new FreshmlError("invalid_params", "learnSharded needs a trainer", { param: "trainer" });
  const pool = options?.pool;
  if (!(pool instanceof ShardPool)) throw new FreshmlError("invalid_params", "learnSharded needs a ShardPool (options.pool)", { param: "pool" });
  if (typeof trainer.merge !== "function") {
    throw new FreshmlError("unsupported", `${trainer.kind} cannot merge shards (no merge): learn it in one worker with WorkerPipeline, or in this thread`, { param: "trainer" });
  }
  if (!Object.prototype.hasOwnProperty.call(pool.registry, trainer.kind)) {
    throw new FreshmlError("unsupported", `the pool cannot restore ${trainer.kind}: give ShardPool a registryModule and registry that know it`, { param: "trainer" });
  }
  const here = options.inThisThread === true;
  // Shapes here; the finite scan is left to each shard's learner (a NaN comes back as the trainer's own error, its row counted in the whole batch).
  const r = readBatch(batch, trainer.nFeatures, { deferFiniteCheck: true });
  const b = { X: r.X, cols: r.cols, rows: r.rows, y: r.y instanceof Float64Array ? r.y : Float64Array.from(r.y) };
  const sizes = shardSizes(b.rows, options.shards ?? pool.threads + (here ? 1 : 0));
  const envelope = { ...trainer.clone().toJSON(), state: null } as TrainerJSON;
  const t0 = performance.now();
  // Rows [first, rows) go to the pool; with inThisThread the first shard stays here.
  const first = here ? sizes[0]! : 0;
  const remoteRows = b.rows - first;
  // The workers read their rows in place from shared memory: the caller's, when X and y are on a
  // SharedArrayBuffer, else the pool's scratch, into which they are copied once (the caller's arrays are never touched).
  const shared = isShared(b.X) && isShared(b.y);
  const lease = shared || remoteRows === 0 ? null : pool.borrow(remoteRows * (b.cols + 1) * 8);
  const X = lease ? new Float64Array(lease.memory, 0, remoteRows * b.cols) : b.X.subarray(first * b.cols);
  const y = lease ? new Float64Array(lease.memory, remoteRows * b.cols * 8, remoteRows) : b.y.subarray(first);
  const tasks: Array<Promise<ShardResult>> = [];
  let localError: unknown = undefined;
  const out = trainer.copy() as T;
  const workerMs: number[] = [];
  try {
    let start = first;
    for (const rows of here ? sizes.slice(1) : sizes) {
      const from = start;
      start += rows;
      if (lease) await copyInSlices(b, from, start, X, y, first);
      const a = from - first;
      const task: Omit<ShardTask, "niceIncrement"> = { trainer: envelope, X: X.subarray(a * b.cols, (a + rows) * b.cols), cols: b.cols, y: y.subarray(a, a + rows), ...(pool.registryModule !== undefined ? { registry: pool.registryModule } : {}) };
      const done = pool.learn(task, []).then((res) => {
        if (!res.ok && typeof res.error.details?.row === "number") res.error.details.row += from;
        return res;
      });
      done.catch(() => undefined); // observed by Promise.all below; not an unhandled rejection meanwhile
      tasks.push(done);
    }
    if (here) {
      // The first shard, learned here while the pool learns the rest (its rows are the batch's first: a NaN's row needs no offset).
      const t = performance.now();
      try {
        out.update({ X: b.X.subarray(0, first * b.cols), cols: b.cols, y: b.y.subarray(0, first) });
      } catch (err) {
        localError = err;
      }
      workerMs.push(performance.now() - t);
    }
    await Promise.allSettled(tasks);
  } finally {
    lease?.release();
  }
  if (localError !== undefined) throw localError;
  const results = await Promise.all(tasks);
  const wallMs = performance.now() - t0;
  const t1 = performance.now();
  let merged: Trainer | null = null;
  for (const res of results) {
    if (!res.ok) throw fromWire(res.error, "a shard");
    workerMs.push(res.ms);
    const shard = restoreTrainer(res.state, pool.registry);
    if (merged === null) merged = shard;
    else merged.merge!(shard);
  }
  try {
    if (merged !== null) out.merge!(merged);
  } catch (err) {
    if (isFreshmlError(err)) throw err;
    throw new FreshmlError("incompatible_merge", `merging the shards into ${trainer.kind} failed: ${(err as Error).message}`);
  }
  return { trainer: out, timings: { rows: sizes, workerMs, wallMs, mergeMs: performance.now() - t1 } };
}

/** Rows copied per slice: about 1 MB, so a copy never holds the event loop for more than a millisecond or so. */
const COPY_SLICE_VALUES = 131_072;

/**
 * Copies rows [from, to) of the batch into the shared arrays (which start at
 * row `first`), handing the event loop back between slices so the host's
 * timers and I/O run while a big batch is copied.
 */
async function copyInSlices(b: { X: Float64Array; cols: number; y: Float64Array }, from: number, to: number, X: Float64Array, y: Float64Array, first: number): Promise<void> {
  const step = Math.max(1, Math.floor(COPY_SLICE_VALUES / b.cols));
  for (let i = from; i < to; i += step) {
    const end = Math.min(to, i + step);
    X.set(b.X.subarray(i * b.cols, end * b.cols), (i - first) * b.cols);
    y.set(b.y.subarray(i, end), i - first);
    if (end < to) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function isShared(a: Float64Array): boolean {
  return typeof SharedArrayBuffer !== "undefined" && a.buffer instanceof SharedArrayBuffer;
}

/** Row counts of the shards. */
function shardSizes(rows: number, shards: number | readonly number[]): number[] {
  if (typeof shards === "number") {
    if (!Number.isInteger(shards) || shards < 1) throw new FreshmlError("invalid_params", `shards must be a positive integer, got ${String(shards)}`, { param: "shards" });
    const k = Math.min(shards, rows);
    return Array.from({ length: k }, (_, i) => Math.floor(((i + 1) * rows) / k) - Math.floor((i * rows) / k));
  }
  if (!Array.isArray(shards) || shards.length === 0 || shards.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new FreshmlError("invalid_params", "shards must be a count or a list of positive row counts", { param: "shards" });
  }
  const total = shards.reduce((a: number, s: number) => a + s, 0);
  if (total !== rows) throw new FreshmlError("invalid_params", `the shards' row counts add up to ${total}; the batch has ${rows} rows`, { param: "shards", observed: total, expected: rows });
  return shards.slice();
}
