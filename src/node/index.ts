/**
 * Node-only parts of freshml: the file-backed model store and the lock and
 * atomic-write helpers it is built from. They live behind this entry point so
 * the core `freshml` entry stays free of Node built-ins and runs in browsers
 * and workers.
 *
 * @packageDocumentation
 */
export { FileModelStore, type FileModelStoreOptions } from "./file-model-store.js";
export { withFileLock, type FileLockOptions } from "./file-lock.js";
export { writeFileAtomic, createFileExclusive } from "./fs-atomic.js";
export { WorkerPipeline, runInWorker, type FileStoreDescriptor, type WorkerPipelineContext, type WorkerPipelineFactory, type WorkerPipelineOptions, type WorkerRunOptions, type WorkerSource, type WorkerSourceContext, type WorkerSourceFactory } from "./worker-pipeline.js";
export { ShardPool, learnSharded, type LearnShardedOptions, type ShardPoolOptions, type ShardTimings, type ShardedResult } from "./learn-sharded.js";
export { FileLease, type FileLeaseOptions } from "./file-lease.js";
export { FileRunHistory, type FileRunHistoryOptions } from "./file-run-history.js";
export type { FileWatchOptions } from "./file-watch.js";
export type { ThreadPriority } from "./thread-priority.js";
