/**
 * The worker side of {@link WorkerPipeline}: opens the store from its
 * descriptor, builds the pipeline with the user's factory, then runs it on
 * batches that the main thread sends on demand. Not imported by anything:
 * a worker loads this file as its script.
 */
import { parentPort, workerData } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import { isAbsolute } from "node:path";
import { FreshmlError } from "../core/errors.js";
import type { Pipeline, SourceBatch } from "../pipeline/pipeline.js";
import { MemoryModelStore } from "../store/memory-model-store.js";
import type { ModelStore } from "../store/model-store.js";
import { FileModelStore } from "./file-model-store.js";
import type { PipelineEvent } from "../pipeline/pipeline.js";
import { lowerThisThreadPriority } from "./thread-priority.js";
import { fromWire, toWire, type FromWorker, type RunNews, type ToWorker, type WorkerInit, type WorkerSourceInit } from "./worker-protocol.js";

const port = parentPort;
if (!port) throw new Error("freshml worker-entry runs in a worker thread");
const init = workerData as WorkerInit;
const send = (m: FromWorker): void => port.postMessage(m);

// Progress and events go out together: with the credit for the next batch, or NEWS_MS after the
// first of them at the latest. A message or two per batch for the main thread to take in, instead
// of one per event.
const NEWS_MS = 16;
let outbox: RunNews[] = [];
let timer: ReturnType<typeof setTimeout> | null = null;
function tell(item: RunNews): void {
  outbox.push(item);
  timer ??= setTimeout(flush, NEWS_MS);
}
function flush(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  if (outbox.length === 0) return;
  const items = outbox;
  outbox = [];
  send(items.length === 1 ? items[0]! : { type: "news", items });
}

type Item = { batch: SourceBatch } | { end: true } | { error: FreshmlError };
let queue: Item[] = [];
let wake: (() => void) | null = null;
let controller: AbortController | null = null;
let pipeline: Pipeline | null = null;
let openedStore: FileModelStore | null = null;

function push(item: Item): void {
  queue.push(item);
  const w = wake;
  wake = null;
  w?.();
}

async function* source(): AsyncGenerator<SourceBatch> {
  tell({ type: "pull", n: init.prefetch });
  flush();
  for (;;) {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    const item = queue.shift()!;
    if ("end" in item) return;
    if ("error" in item) throw item.error;
    // Credit goes at once (a late one would leave the worker waiting for batches), with the news gathered since the last message.
    tell({ type: "pull", n: 1 });
    flush();
    yield item.batch;
  }
}

/** Imports a module (absolute path or specifier) and returns its exported function `name`; `invalid_params` naming `param` when it has none. */
async function exportedFunction(module: string, name: string, param: string): Promise<(context: unknown) => unknown> {
  const mod = (await import(isAbsolute(module) ? pathToFileURL(module).href : module)) as Record<string, unknown>;
  const f = mod[name];
  if (typeof f !== "function") {
    throw new FreshmlError("invalid_params", `${module} has no exported function ${name} (exports: ${Object.keys(mod).join(", ") || "none"})`, { param });
  }
  return f as (context: unknown) => unknown;
}

/** The batches of a source the worker builds itself: the export of its module, called with the args, the store and the run's signal. */
async function ownSource(s: WorkerSourceInit, signal: AbortSignal): Promise<Iterable<SourceBatch> | AsyncIterable<SourceBatch>> {
  const factory = await exportedFunction(s.module, s.export, "source.export");
  const made = await factory({ args: s.args, store: openedStore, signal });
  if (made === null || typeof made !== "object" || !(Symbol.iterator in made || Symbol.asyncIterator in made)) {
    throw new FreshmlError("invalid_params", `${s.module}'s ${s.export} must return an Iterable or AsyncIterable of batches (or a Promise of one)`, { param: "source.export" });
  }
  return made as Iterable<SourceBatch> | AsyncIterable<SourceBatch>;
}

async function run(m: Extract<ToWorker, { type: "run" }>): Promise<void> {
  queue = [];
  controller = new AbortController();
  if (m.aborted) controller.abort();
  // run_finished carries the whole report: it is held back and sent once, with "done".
  let finished: PipelineEvent | null = null;
  try {
    const batches = m.source ? await ownSource(m.source, controller.signal) : source();
    const report = await pipeline!.runBatches(batches, {
      signal: controller.signal,
      ...(m.trigger !== undefined ? { trigger: m.trigger } : {}),
      ...(m.resume !== undefined ? { resume: m.resume } : {}),
      onProgress: (progress) => tell({ type: "progress", progress }),
      onEvent: (event) => {
        if (event.type === "run_finished") finished = event;
        else tell({ type: "event", event });
      },
    });
    flush();
    send({ type: "done", report, finished: finished !== null });
  } catch (err) {
    if (finished) tell({ type: "event", event: finished });
    flush();
    send({ type: "failed", error: toWire(err) });
  } finally {
    controller = null;
  }
}

port.on("message", (m: ToWorker) => {
  switch (m.type) {
    case "run":
      void run(m);
      break;
    case "batch":
      push({ batch: m.batch });
      break;
    case "end":
      push({ end: true });
      break;
    case "source_error":
      push({ error: fromWire(m.error, "the source") });
      break;
    case "abort":
      controller?.abort();
      break;
  }
});

async function start(): Promise<void> {
  // First, so that importing the user's module and building the pipeline already run at the lower priority.
  const priority = lowerThisThreadPriority(init.niceIncrement);
  try {
    const d = init.store;
    const store = new FileModelStore(d.root, d.lockTimeoutMs !== undefined ? { lock: { timeoutMs: d.lockTimeoutMs } } : {});
    openedStore = store;
    const factory = await exportedFunction(init.module, init.export, "export");
    const p = (await factory({ store, args: init.args })) as Pipeline | null;
    if (!p || typeof (p as Partial<Pipeline>).runBatches !== "function") {
      throw new FreshmlError("invalid_params", `${init.module}'s ${init.export} must return a Pipeline`, { param: "export" });
    }
    const used = Reflect.get(p, "store") as ModelStore | undefined;
    if (used instanceof MemoryModelStore || (used !== store && used?.constructor?.name === "MemoryModelStore")) {
      throw new FreshmlError(
        "unsupported",
        `the pipeline built in the worker uses a MemoryModelStore: everything it learns would be lost when the worker ends. Build it with the store the factory receives ({ store }), a FileModelStore on ${d.root}`,
        { param: "store" },
      );
    }
    pipeline = p;
    send({ type: "ready", name: p.name, priority });
  } catch (err) {
    send({ type: "init_failed", error: toWire(err) });
  }
}

void start();
