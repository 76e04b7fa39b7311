import { randomBytes } from "node:crypto";
import { link, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** A temp file name beside `path`, unique to this process and call: `.<name>.tmp-<pid>-<random>`. */
export function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/** Matches a temp file name made by {@link tempPath}; group 1 is the writer's process id. */
export const TEMP_NAME = /^\..+\.tmp-(\d+)-[0-9a-f]+$/;

/** fsync a directory, so a rename or link inside it survives a power cut. Not every platform allows it. */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch {
    // Windows cannot open a directory; the rename is still atomic there.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Writes `data` to a new temp file beside `path` and fsyncs it; returns the
 * temp path. A write that fails (a full disk, say) removes its temp file
 * before it throws.
 */
export async function writeTemp(path: string, data: string | Uint8Array, sync = true): Promise<string> {
  const tmp = tempPath(path);
  const fh = await open(tmp, "wx");
  try {
    await fh.writeFile(data);
    if (sync) await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  return tmp;
}

/**
 * Replaces `path` atomically: temp file → fsync → rename → fsync of the
 * directory. Readers see the old content or the new, never a mix. A failed
 * write leaves no temp file behind. `sync: false` skips both fsyncs (still
 * atomic for readers and against a crash of the process, not a power cut).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, sync = true): Promise<void> {
  const tmp = await writeTemp(path, data, sync);
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  if (sync) await syncDir(dirname(path));
}

/**
 * Creates `path` atomically and only if it does not exist yet (a hard link
 * from an fsynced temp file): returns false, writing nothing, if it exists.
 * A failed write leaves no temp file behind. `sync: false` skips the fsyncs.
 */
export async function createFileExclusive(path: string, data: string | Uint8Array, sync = true): Promise<boolean> {
  const tmp = await writeTemp(path, data, sync);
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
    if (sync) await syncDir(dirname(path));
  }
}
