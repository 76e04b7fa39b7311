import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { threadId } from "node:worker_threads";
import { FreshmlError } from "../core/errors.js";

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up with `lock_timeout` after this long (ms). Default 30,000. */
  timeoutMs?: number;
  /**
   * A lock held by a process on another host is broken when older than this
   * (ms). On this host a lock is broken as soon as its process is gone.
   * Default 60,000.
   */
  staleMs?: number;
  /** The clock in ms (injectable, for tests). Default `Date.now`. */
  now?: () => number;
  /** Waits between attempts (injectable, for tests). Default a `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
}

interface Owner {
  pid: number;
  host: string;
  at: number;
  token: string;
  /** The worker thread that took it (0: the main thread), so a terminated worker's lock can be broken by its process. */
  thread?: number;
}

/** Whether a process with this id exists on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readOwner(lock: string): Promise<Owner | null> {
  try {
    const o = JSON.parse(await readFile(join(lock, "owner.json"), "utf8")) as Owner;
    return typeof o.pid === "number" && typeof o.host === "string" && typeof o.at === "number" ? o : null;
  } catch {
    return null;
  }
}

/**
 * Runs `fn` holding a lock on `lockPath` shared by processes on this machine.
 *
 * The lock is a directory made whole elsewhere (with its owner's pid, host and
 * time inside) and renamed into place, so it never exists without an owner.
 * A lock whose process has died (this host) or that is older than `staleMs`
 * (another host) is broken by renaming it aside under a name derived from its
 * owner: two processes breaking the same stale lock cannot both succeed, and
 * neither can break the new holder's lock. Set aside locks are swept after an
 * hour. Nothing here relies on `flock`, so it also works on network file
 * systems, with the time-based rule.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const { timeoutMs = 30_000, staleMs = 60_000, now = Date.now, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) } = options;
  const dir = dirname(lockPath);
  await mkdir(dir, { recursive: true });
  const me: Owner = { pid: process.pid, host: hostname(), at: now(), token: randomBytes(8).toString("hex"), thread: threadId };
  const start = now();
  let delay = 2;
  for (;;) {
    const tmp = join(dir, `.${basename(lockPath)}.new-${me.pid}-${me.token}`);
    // Not recursive: its folder exists, and a recursive mkdir reports a read-only
    // file system as ENOENT. A leftover of our own failed attempt is reused.
    await mkdir(tmp).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
    me.at = now();
    await writeFile(join(tmp, "owner.json"), JSON.stringify(me));
    try {
      await rename(tmp, lockPath);
      break; // acquired
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM" && code !== "EISDIR") throw err;
    }
    const owner = await readOwner(lockPath);
    const stale = owner
      ? owner.host === me.host
        ? !processAlive(owner.pid)
        : now() - owner.at > staleMs
      : await olderThan(lockPath, 5_000, now); // unreadable owner: only if it stays so
    if (stale) {
      const aside = `${lockPath}.stale-${owner ? `${owner.pid}-${owner.token}` : "unknown"}`;
      // Fails if another process set this very lock aside first: then we simply try again.
      await rename(lockPath, aside).catch(() => undefined);
      continue;
    }
    if (now() - start > timeoutMs) {
      throw new FreshmlError("lock_timeout", `could not lock ${lockPath} within ${timeoutMs} ms (held by pid ${owner?.pid} on ${owner?.host})`, {
        path: lockPath,
        owner,
      });
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
  try {
    return await fn();
  } finally {
    const gone = `${lockPath}.released-${me.pid}-${me.token}`;
    if (await rename(lockPath, gone).then(
      () => true,
      () => false,
    )) {
      // The folder holds owner.json only: two calls instead of a recursive rm.
      await unlink(join(gone, "owner.json"))
        .then(() => rmdir(gone))
        .catch(() => rm(gone, { recursive: true, force: true }))
        .catch(() => undefined);
    }
    // Sweeping lists the folder: at most once a minute per lock in this process.
    const last = lastSweep.get(lockPath);
    const t = now();
    if (last === undefined || t - last >= 60_000 || t < last) {
      lastSweep.set(lockPath, t);
      await sweep(lockPath, now);
    }
  }
}

/** When this process last swept each lock's leftovers (see {@link withFileLock}). */
const lastSweep = new Map<string, number>();

async function olderThan(path: string, ms: number, now: () => number): Promise<boolean> {
  try {
    return now() - (await stat(path)).mtimeMs > ms;
  } catch {
    return false;
  }
}

/** Removes locks set aside more than an hour ago (and temp dirs of crashed acquirers). */
async function sweep(lockPath: string, now: () => number): Promise<void> {
  const dir = dirname(lockPath);
  const base = basename(lockPath);
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!(n.startsWith(`${base}.stale-`) || n.startsWith(`${base}.released-`) || n.startsWith(`.${base}.new-`))) continue;
    const p = join(dir, n);
    if (await olderThan(p, 3_600_000, now)) await rm(p, { recursive: true, force: true });
  }
}
