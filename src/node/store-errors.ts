import { FreshmlError } from "../core/errors.js";

/**
 * Turns a file-system error of the file store into a {@link FreshmlError}
 * with a stable code (a `FreshmlError` passes through; anything that is not
 * an I/O error is returned as it is):
 *
 * - `ENOSPC`, `EDQUOT` → `store_full`
 * - `EROFS`, and `EACCES`/`EPERM` while `writing` → `store_read_only`
 * - `EISDIR`, `ENOTDIR`, `EEXIST`, `ELOOP` → `store_corrupt` (a file where a folder belongs, or the reverse)
 * - `ERR_STRING_TOO_LONG`, `ERR_FS_FILE_TOO_LARGE`, and a `RangeError` about string length → `too_large`
 * - any other error code (`EIO`, `ENOENT` of a folder that vanished, `EACCES` on a read, …) → `store_io`
 *
 * `details` name the `path` (when known), the `errno` code and the `syscall`.
 */
export function storeFault(err: unknown, writing: boolean): unknown {
  if (err instanceof FreshmlError) return err;
  if (err instanceof RangeError && (err as NodeJS.ErrnoException).code === undefined) {
    return /string length|too long|too large/i.test(err.message) ? new FreshmlError("too_large", `too large for the file store: ${err.message}`) : err;
  }
  const e = err as NodeJS.ErrnoException | null;
  if (e === null || typeof e !== "object" || typeof e.code !== "string") return err;
  const path = typeof e.path === "string" ? e.path : undefined;
  const where = path ?? "the store's folder";
  const details = { ...(path !== undefined ? { path } : {}), errno: e.code, ...(e.syscall ? { syscall: e.syscall } : {}) };
  switch (e.code) {
    case "ENOSPC":
    case "EDQUOT":
      return new FreshmlError("store_full", `no space left to write ${where} (${e.code}); nothing half-written was kept`, details);
    case "EROFS":
      return new FreshmlError("store_read_only", `cannot write ${where}: the file system is read-only (EROFS)`, details);
    case "EACCES":
    case "EPERM":
      return writing
        ? new FreshmlError("store_read_only", `cannot write ${where}: permission denied (${e.code}); the store is read-only for this process`, details)
        : new FreshmlError("store_io", `cannot read ${where}: permission denied (${e.code})`, details);
    case "EISDIR":
    case "ENOTDIR":
    case "EEXIST":
    case "ELOOP":
      return new FreshmlError("store_corrupt", `${where} is not laid out as the store left it (${e.code}: ${LAYOUT[e.code]})`, details);
    case "ERR_STRING_TOO_LONG":
    case "ERR_FS_FILE_TOO_LARGE":
      return new FreshmlError("too_large", `${where} is too large to read as one string (${e.code})`, details);
    default:
      return new FreshmlError("store_io", `I/O error on ${where}: ${e.message}`, details);
  }
}

/** Runs `fn`, turning the file-system errors it throws into typed {@link FreshmlError}s (see {@link storeFault}). */
export async function guarded<T>(writing: boolean, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw storeFault(err, writing);
  }
}

const LAYOUT: Record<string, string> = {
  EISDIR: "a folder where a file belongs",
  ENOTDIR: "a file where a folder belongs",
  EEXIST: "something already there where the store makes a folder",
  ELOOP: "a symbolic link loop",
};

/** Names `path` on a file-system error that does not name one (readFile of a folder, say), and rethrows it. */
export function rethrowAt(path: string): (err: unknown) => never {
  return (err: unknown): never => {
    const e = err as NodeJS.ErrnoException | null;
    if (e !== null && typeof e === "object" && typeof e.code === "string" && e.path === undefined) e.path = path;
    throw err;
  };
}
