import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { FreshmlError } from "../core/errors.js";
import type { AliasChange, WatchOptions, Watcher } from "../store/watch.js";
import { ALIAS_LOG, ALIAS_SNAPSHOT, type AliasFiles } from "./alias-files.js";
import { storeFault } from "./store-errors.js";

/** Default of {@link FileWatchOptions.pollIntervalMs}. */
const DEFAULT_POLL_MS = 500;

/**
 * Options of `FileModelStore.watch`.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { FileModelStore, type FileWatchOptions } from "freshml/node";
 * const store = new FileModelStore(mkdtempSync(join(tmpdir(), "freshml-")));
 * // On NFS or SMB, fs.watch does not see other hosts' writes: poll instead.
 * const options: FileWatchOptions = { poll: true, pollIntervalMs: 1_000, onError: (err) => console.warn(err) };
 * const watcher = store.watch("load", "champion", (change) => console.log(change.version), options);
 * await watcher.ready;
 * await watcher.close();
 * ```
 */
export interface FileWatchOptions extends WatchOptions {
  /**
   * Poll only, without fs.watch. For network file systems (NFS, SMB), where
   * fs.watch does not see other hosts' writes. Default false.
   */
  poll?: boolean;
  /**
   * How often the alias files are read again, in ms: the latency when
   * polling, and a safety net beside fs.watch (an event it dropped, a folder
   * made after the watch began). Default 500.
   */
  pollIntervalMs?: number;
}

/**
 * Watches one alias of a model folder: fs.watch on the folder (the alias
 * snapshot and log live there; the log is replaced by a rename at each
 * compaction, so the folder, not the file, is watched) plus a poll. Each
 * wake-up reads the alias files (`files` is the watcher's own reader, so its
 * cache never mixes with a writer's) and reports every move after the last
 * one reported, in `seq` order, from the alias's retained history.
 */
export function watchAliasFiles(
  dir: string,
  files: AliasFiles,
  name: string,
  alias: string,
  onChange: (change: AliasChange) => void,
  options: FileWatchOptions,
): Watcher {
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  if (typeof interval !== "number" || !Number.isFinite(interval) || interval < 1) {
    throw new FreshmlError("invalid_params", `pollIntervalMs must be a finite number ≥ 1, got ${String(interval)}`, { param: "pollIntervalMs" });
  }
  const report = (err: unknown): void => {
    try {
      options.onError?.(err);
    } catch {
      // A failing error handler must not stop the watch.
    }
  };
  /** seq of the last move reported (or of the start position); -1 before the first read. */
  let lastSeq = -1;
  let closed = false;
  let fsWatcher: FSWatcher | null = null;
  /** Watches the nearest existing folder above the model's while that does not exist yet, to attach as soon as it does. */
  let parentWatcher: FSWatcher | null = null;
  let reading: Promise<void> | null = null;
  let again = false;

  const deliver = (version: number | null, source: AliasChange["source"]): void => {
    if (closed) return;
    try {
      onChange({ name, alias, version, source });
    } catch (err) {
      report(err);
    }
  };

  const readOnce = async (): Promise<void> => {
    const state = await files.read();
    if (closed) return;
    const track = state.book.tracks.get(alias);
    const seq = track?.seq ?? 0;
    if (lastSeq < 0 || seq === lastSeq) {
      lastSeq = seq; // the starting position is not a change
      return;
    }
    if (seq < lastSeq || !track) {
      // The folder was replaced (restored from a backup, say): report where the alias is now.
      lastSeq = seq;
      deliver(track?.version ?? null, "catch-up");
      return;
    }
    // The retained moves after the last one reported, oldest first (the history is in seq order).
    const history = track.history;
    let from = history.length;
    while (from > 0 && history[from - 1]!.seq > lastSeq) from--;
    const missed = history.slice(from);
    if (missed.length === 0) {
      lastSeq = seq;
      deliver(track.version, "catch-up");
      return;
    }
    // Moves older than the retained history are gone: the first one still known comes as a catch-up.
    const gap = missed[0]!.seq !== lastSeq + 1;
    missed.forEach((e, i) => {
      lastSeq = e.seq;
      deliver(e.version, gap && i === 0 ? "catch-up" : "notify");
    });
    lastSeq = seq;
  };

  /** Reads now, or once more after the read in flight: reads never overlap, and no wake-up is lost. */
  const check = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        try {
          await readOnce();
        } catch (err) {
          if (!closed) report(storeFault(err, false));
          if (lastSeq < 0) throw err; // the first read: `ready` rejects (the poll goes on)
        }
      } while (again && !closed);
    })().finally(() => {
      reading = null;
    });
    return reading;
  };

  /** fs.watch on `path`; null when it cannot (no such folder: ENOENT, quietly; anything else goes to onError). */
  const watchFolder = (path: string, onEvent: (file: string | null) => void): FSWatcher | null => {
    try {
      const w = watch(path, { persistent: true }, (_event, file) => onEvent(file === null ? null : String(file)));
      w.on("error", (err) => {
        // The folder went away, or the watch broke: the poll attaches again.
        if (fsWatcher === w) fsWatcher = null;
        if (parentWatcher === w) parentWatcher = null;
        w.close();
        if (!closed) report(storeFault(err, false));
      });
      return w;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") report(storeFault(err, false));
      return null;
    }
  };

  /** Starts fs.watch on the model's folder, or on the store's until the model's exists (unless polling was asked). */
  const attach = (): void => {
    if (options.poll || closed || fsWatcher) return;
    fsWatcher = watchFolder(dir, (f) => {
      if (f === null || f === ALIAS_LOG || f === ALIAS_SNAPSHOT) void check().catch(() => undefined);
    });
    if (fsWatcher) {
      parentWatcher?.close();
      parentWatcher = null;
      return;
    }
    // The nearest folder above that exists (the store's, or above it for a store not made yet): attach when the next one appears.
    parentWatcher?.close();
    parentWatcher = null;
    for (let child = dir, parent = dirname(dir); parent !== child && !parentWatcher; child = parent, parent = dirname(parent)) {
      const next = basename(child);
      parentWatcher = watchFolder(parent, (f) => {
        if (f !== null && f !== next) return;
        attach();
        void check().catch(() => undefined);
      });
    }
  };

  const timer = setInterval(() => {
    // A folder made after the watch began, or a watch that broke: attach again.
    attach();
    void check().catch(() => undefined);
  }, interval);

  // fs.watch first, then the first read: a move between the two is seen by the read or wakes a second one.
  attach();
  const ready = check();
  ready.catch(() => undefined);
  return {
    ready,
    close: async () => {
      closed = true;
      clearInterval(timer);
      fsWatcher?.close();
      parentWatcher?.close();
      fsWatcher = parentWatcher = null;
      await reading?.catch(() => undefined);
    },
  };
}
