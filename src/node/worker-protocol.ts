/**
 * Messages between a {@link WorkerPipeline} (main thread) and its worker, and
 * the helpers both sides share: errors as structured-clone-safe data, and
 * batches laid out for transfer. Internal: not exported from `freshml/node`.
 */
import { FreshmlError, isFreshmlError, type FreshmlErrorCode, type FreshmlErrorDetails } from "../core/errors.js";
import type { PipelineEvent, Progress, ResumeFrom, SourceBatch } from "../pipeline/pipeline.js";
import type { RunReport } from "../pipeline/report.js";
import type { ThreadPriority } from "./thread-priority.js";

/** A file store, opened inside the worker. */
export interface FileStoreDescriptor {
  /** Discriminant. */
  type: "file";
  /** The store's root folder (the `root` of a FileModelStore). */
  root: string;
  /** `lock.timeoutMs` of the FileModelStore opened in the worker. */
  lockTimeoutMs?: number;
}

/** What the worker gets in `workerData`. */
export interface WorkerInit {
  module: string;
  export: string;
  args: unknown;
  store: FileStoreDescriptor;
  prefetch: number;
  /** Raise the worker thread's nice value by this much before building the pipeline. */
  niceIncrement: number;
}

/** A source the worker builds itself (see WorkerSource): its module resolved to a path or specifier. */
export interface WorkerSourceInit {
  module: string;
  export: string;
  args: unknown;
}

/** An error as data. */
export interface WireError {
  freshml: boolean;
  name: string;
  message: string;
  code?: FreshmlErrorCode;
  details?: FreshmlErrorDetails;
  stack?: string;
}

/** Main thread → worker. */
export type ToWorker =
  | { type: "run"; trigger?: string; resume?: ResumeFrom; aborted: boolean; source?: WorkerSourceInit }
  | { type: "batch"; batch: SourceBatch }
  | { type: "end" }
  | { type: "source_error"; error: WireError }
  | { type: "abort" };

/** What the worker tells while a run goes on, in order. */
export type RunNews = { type: "pull"; n: number } | { type: "progress"; progress: Progress } | { type: "event"; event: PipelineEvent };

/** Worker → main thread. */
export type FromWorker =
  | { type: "ready"; name: string; priority: ThreadPriority }
  | { type: "init_failed"; error: WireError }
  | RunNews
  /** Several pieces of news in one message (the worker coalesces what happens between two turns of its event loop). */
  | { type: "news"; items: RunNews[] }
  /** The run's report; `finished`: emit the `run_finished` event with it first (sent once, not also in the event). */
  | { type: "done"; report: RunReport; finished: boolean }
  | { type: "failed"; error: WireError };

/** Details that survive a structured clone (else a JSON-safe copy, else nothing). */
function cloneable(details: FreshmlErrorDetails): FreshmlErrorDetails {
  try {
    return structuredClone(details);
  } catch {
    try {
      return JSON.parse(JSON.stringify(details)) as FreshmlErrorDetails;
    } catch {
      return {};
    }
  }
}

/** An error as data that crosses a thread. */
export function toWire(err: unknown): WireError {
  if (isFreshmlError(err)) return { freshml: true, name: err.name, message: err.message, code: err.code, details: cloneable(err.details), ...(err.stack ? { stack: err.stack } : {}) };
  const e = err instanceof Error ? err : new Error(String(err));
  return { freshml: false, name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
}

/** The error again: a FreshmlError keeps its code and details; anything else becomes `worker_failed` (reason `threw`). */
export function fromWire(w: WireError, where: string): FreshmlError {
  if (w.freshml && w.code) return new FreshmlError(w.code, w.message, w.details ?? {});
  return new FreshmlError("worker_failed", `${where} threw ${w.name}: ${w.message}`, { reason: "threw", name: w.name, ...(w.stack ? { stack: w.stack } : {}) });
}

/** A typed array of its own (the whole buffer, not shared), ready to transfer. */
export function ownBuffer<T extends Float64Array>(a: T): { array: T; buffer: ArrayBuffer | null } {
  const b = a.buffer;
  if (typeof SharedArrayBuffer !== "undefined" && b instanceof SharedArrayBuffer) return { array: a, buffer: null }; // shared: no copy, no transfer
  if (a.byteOffset === 0 && a.byteLength === b.byteLength) return { array: a, buffer: b as ArrayBuffer };
  const copy = a.slice() as T; // a view of part of a buffer: transfer a copy of the view, never the rest
  return { array: copy, buffer: copy.buffer as ArrayBuffer };
}

/**
 * A source batch laid out for `postMessage`: with `transfer`, the buffers of
 * its Float64Array `X` and `y` go in the transfer list (the caller's arrays
 * are detached: zero-length afterwards). Row objects and number[][] are cloned.
 */
export function forTransfer(batch: SourceBatch, transfer: boolean): { batch: SourceBatch; transferList: ArrayBuffer[] } {
  if (!transfer || batch === null || typeof batch !== "object" || Array.isArray(batch)) return { batch, transferList: [] };
  const b = batch as { X?: unknown; y?: unknown };
  const list = new Set<ArrayBuffer>();
  let out: Record<string, unknown> | null = null;
  for (const key of ["X", "y"] as const) {
    const v = b[key];
    if (!(v instanceof Float64Array)) continue;
    const { array, buffer } = ownBuffer(v);
    if (buffer === null) continue;
    if (list.has(buffer)) {
      // X and y on one whole buffer: give the second its own copy.
      const copy = array.slice();
      list.add(copy.buffer as ArrayBuffer);
      out = { ...(out ?? (batch as object)), [key]: copy };
      continue;
    }
    list.add(buffer);
    if (array !== v) out = { ...(out ?? (batch as object)), [key]: array };
  }
  return { batch: (out ?? batch) as SourceBatch, transferList: [...list] };
}
