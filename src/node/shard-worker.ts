/**
 * The task a {@link ShardPool} worker runs: learn one shard with an unfitted
 * copy of the trainer and send its learned state back. Loaded by piscina as a
 * worker module; not imported by anything else.
 */
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { FreshmlError } from "../core/errors.js";
import { builtinTrainers, restoreTrainer, type TrainerRegistry } from "../learners/registry.js";
import type { TrainerJSON } from "../learners/trainer.js";
import { lowerThisThreadPriority, type ThreadPriority } from "./thread-priority.js";
import { toWire, type WireError } from "./worker-protocol.js";

/** One shard to learn. */
export interface ShardTask {
  /** The trainer's envelope without state (its parameters). */
  trainer: TrainerJSON;
  /** Row-major features of the shard. */
  X: Float64Array;
  cols: number;
  y: Float64Array;
  /** A module exporting `registry` (a TrainerRegistry) for custom trainers. */
  registry?: string;
  /** Raise this worker thread's nice value by this much, once, before its first shard. */
  niceIncrement: number;
}

/** The shard's learned state, or why it failed. */
export type ShardResult = ({ ok: true; state: TrainerJSON; ms: number } | { ok: false; error: WireError }) & { priority: ThreadPriority };

const registries = new Map<string, Promise<TrainerRegistry>>();

async function registryOf(specifier: string | undefined): Promise<TrainerRegistry> {
  if (specifier === undefined) return builtinTrainers;
  let r = registries.get(specifier);
  if (!r) {
    const url = isAbsolute(specifier) ? pathToFileURL(specifier).href : specifier;
    r = import(url).then((m: { registry?: TrainerRegistry }) => {
      if (!m.registry || typeof m.registry !== "object") throw new FreshmlError("invalid_params", `${specifier} exports no registry`, { param: "registry" });
      return { ...builtinTrainers, ...m.registry };
    });
    registries.set(specifier, r);
  }
  return r;
}

/** This thread's priority, lowered once (piscina's own niceIncrement needs the optional native @napi-rs/nice and reports nothing). */
let priority: ThreadPriority | null = null;

export default async function learnShard(task: ShardTask): Promise<ShardResult> {
  priority ??= lowerThisThreadPriority(task.niceIncrement);
  try {
    const t0 = performance.now();
    const trainer = restoreTrainer(task.trainer, await registryOf(task.registry));
    trainer.update({ X: task.X, cols: task.cols, y: task.y });
    return { ok: true, state: trainer.toJSON(), ms: performance.now() - t0, priority };
  } catch (err) {
    return { ok: false, error: toWire(err), priority };
  }
}
