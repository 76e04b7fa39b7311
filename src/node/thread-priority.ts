/**
 * Lowers the CPU priority of the calling thread only (not the process), so a
 * worker that retrains yields the cores to the host's main thread. Internal:
 * worker-entry.ts and shard-worker.ts call it in their own thread.
 */
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { FreshmlError } from "../core/errors.js";

/**
 * Whether a worker thread's CPU priority was lowered: what
 * {@link WorkerPipeline.priority} and {@link ShardPool.priority} report.
 *
 * @example
 * ```ts
 * import type { ThreadPriority } from "freshml/node";
 * const p: ThreadPriority = { applied: true, niceIncrement: 10, nice: 10 };
 * p.applied; // true: the worker runs at nice 10, the main thread at 0
 * ```
 */
export interface ThreadPriority {
  /** True when the worker's nice value was raised by `niceIncrement` (false when the increment is 0, or the platform refused). */
  applied: boolean;
  /** The increment asked for. */
  niceIncrement: number;
  /** The worker thread's nice value afterwards (Linux), when it could be read. */
  nice?: number;
  /** The worker's kernel thread id (Linux), for `os.getPriority(tid)` from any thread. */
  tid?: number;
  /** Why it was not applied: `"zero"` (nothing asked), `"no_thread_id"` (no /proc/thread-self: not Linux), `"main_thread"`, `"at_lowest"` (already nice 19), or the OS error's code (e.g. `EACCES`). */
  reason?: string;
}

/** Checks an option's value: an integer 0..19 (a nice value cannot go above 19 anyway). */
export function checkNiceIncrement(value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 19) {
    throw new FreshmlError("invalid_params", `niceIncrement must be an integer from 0 to 19, got ${String(v)}`, { param: "niceIncrement" });
  }
  return v;
}

/** This thread's kernel id (Linux: /proc/thread-self → "<pid>/task/<tid>"), or null. */
export function currentThreadId(): number | null {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/**
 * Raises this thread's nice value by `niceIncrement` (capped at 19). On Linux
 * setpriority(PRIO_PROCESS, tid) changes only that thread; elsewhere there is
 * no thread id to give it (the process's id would lower the host too), so
 * nothing is changed and the result says so. Never throws.
 */
export function lowerThisThreadPriority(niceIncrement: number): ThreadPriority {
  if (niceIncrement === 0) return { applied: false, niceIncrement, reason: "zero" };
  const tid = currentThreadId();
  if (tid === null) return { applied: false, niceIncrement, reason: "no_thread_id" };
  if (tid === process.pid) return { applied: false, niceIncrement, reason: "main_thread" }; // never the host's own thread
  try {
    const before = getPriority(tid);
    setPriority(tid, Math.min(19, before + niceIncrement));
    const nice = getPriority(tid);
    return nice > before ? { applied: true, niceIncrement, nice, tid } : { applied: false, niceIncrement, nice, tid, reason: "at_lowest" };
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    return { applied: false, niceIncrement, tid, reason: typeof code === "string" ? code : "failed" };
  }
}
