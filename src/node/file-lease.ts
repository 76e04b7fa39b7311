import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as z from "zod";
import { FreshmlError } from "../core/errors.js";
import { checkLeaseArgs, leaseLost, type Lease, type LeaseAttempt, type LeaseGrant, type LeaseHolder, type LeaseOptions } from "../store/lease.js";
import { checkName } from "../store/model-store.js";
import { withFileLock, type FileLockOptions } from "./file-lock.js";
import { writeFileAtomic } from "./fs-atomic.js";

/**
 * Options of {@link FileLease}.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { FileLease, type FileLeaseOptions } from "freshml/node";
 * let now = 0;
 * const options: FileLeaseOptions = { now: () => now, lock: { timeoutMs: 5_000 } };
 * const lease = new FileLease(mkdtempSync(join(tmpdir(), "freshml-lease-")), options);
 * await lease.acquire("model", "a", { ttlMs: 100 });
 * now = 200; // expired: another holder may take it
 * await lease.acquire("model", "b", { ttlMs: 100 }); // granted, token 2
 * ```
 */
export interface FileLeaseOptions {
  /** The clock in ms (injectable for tests). Default `Date.now`: every process must share the host's clock. */
  now?: () => number;
  /** Timing of the lock each operation takes (see `withFileLock`). */
  lock?: FileLockOptions;
}

const leaseFileSchema = z.object({
  format: z.literal("freshml.lease"),
  formatVersion: z.literal(1),
  holder: z.string().nullable(),
  token: z.number().int().nonnegative(),
  expiresAt: z.number(),
});
type LeaseFile = z.infer<typeof leaseFileSchema>;

/**
 * A {@link Lease} in a folder, for processes on one machine (or a shared
 * file system): `<root>/<name>.lease.json` holds the holder, its fencing
 * token and its end, read and written under the file store's lock
 * (`withFileLock`), so acquire, renew and release are atomic across
 * processes. Expiry uses the host's clock. {@link FileLease.check} is what a
 * fenced write calls before it writes.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { FileLease } from "freshml/node";
 * const lease = new FileLease(mkdtempSync(join(tmpdir(), "freshml-lease-")));
 * const a = await lease.acquire("retrain", `pid-${process.pid}`, { ttlMs: 30_000 });
 * if (a.acquired) {
 *   await lease.check(a.grant); // throws lease_lost once expired or taken over
 *   await lease.release(a.grant);
 * }
 * ```
 */
export class FileLease implements Lease {
  /** The folder holding the lease files (absolute). */
  readonly root: string;
  private readonly now: () => number;
  private readonly lockOptions: FileLockOptions;

  constructor(root: string, options: FileLeaseOptions = {}) {
    if (typeof root !== "string" || root.length === 0) throw new FreshmlError("invalid_params", "FileLease needs a folder path");
    this.root = resolve(root);
    this.now = options.now ?? Date.now;
    this.lockOptions = options.lock ?? {};
  }

  async acquire(name: string, holder: string, options: LeaseOptions): Promise<LeaseAttempt> {
    checkLeaseArgs(name, holder, options);
    return this.locked(name, async () => {
      const s = await this.read(name);
      const now = this.now();
      if (s.holder !== null && s.holder !== holder && s.expiresAt > now) {
        return { acquired: false, holder: { holder: s.holder, token: s.token, expiresAt: s.expiresAt } };
      }
      const keeps = s.holder === holder && s.expiresAt > now;
      const next: LeaseFile = { ...s, holder, token: keeps ? s.token : s.token + 1, expiresAt: now + options.ttlMs };
      await this.write(name, next);
      return { acquired: true, grant: { name, holder, token: next.token, expiresAt: next.expiresAt } };
    });
  }

  async renew(grant: LeaseGrant, options: LeaseOptions): Promise<LeaseGrant> {
    checkLeaseArgs(grant?.name, grant?.holder, options);
    return this.locked(grant.name, async () => {
      const s = await this.read(grant.name);
      this.verify(s, grant);
      const next = { ...s, expiresAt: this.now() + options.ttlMs };
      await this.write(grant.name, next);
      return { ...grant, expiresAt: next.expiresAt };
    });
  }

  async release(grant: LeaseGrant): Promise<void> {
    checkName(grant?.name, "lease name");
    await this.locked(grant.name, async () => {
      const s = await this.read(grant.name);
      if (s.holder === grant.holder && s.token === grant.token) await this.write(grant.name, { ...s, holder: null, expiresAt: this.now() });
    });
  }

  async current(name: string): Promise<LeaseHolder | null> {
    checkName(name, "lease name");
    const s = await this.read(name);
    return s.holder !== null && s.expiresAt > this.now() ? { holder: s.holder, token: s.token, expiresAt: s.expiresAt } : null;
  }

  /**
   * Throws `lease_lost` unless `grant` is still the current, unexpired grant.
   * To fence a write, call it holding the same lock as the write (or accept
   * the small window between the check and the write).
   */
  async check(grant: LeaseGrant): Promise<void> {
    checkName(grant?.name, "lease name");
    this.verify(await this.read(grant.name), grant);
  }

  /**
   * Runs `fn` holding the lease's lock, once `grant` is checked to be the
   * current, unexpired grant (`lease_lost` otherwise, and `fn` does not run).
   * No one can acquire the lease until `fn` returns, so a write made in `fn`
   * is fenced with no window between check and write: what `FileModelStore`
   * does for a write given `{ fence }`. Do not call the lease's own methods
   * from `fn` (the lock is not re-entrant: they would wait for `lock_timeout`).
   *
   * @example
   * ```ts
   * import { mkdtempSync, writeFileSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { FileLease } from "freshml/node";
   * const dir = mkdtempSync(join(tmpdir(), "freshml-lease-"));
   * const lease = new FileLease(dir);
   * const a = await lease.acquire("retrain", "replica-a", { ttlMs: 30_000 });
   * if (a.acquired) await lease.whileHeld(a.grant, async () => writeFileSync(join(dir, "leader-output.txt"), "fenced"));
   * ```
   */
  async whileHeld<T>(grant: LeaseGrant, fn: () => Promise<T>): Promise<T> {
    checkName(grant?.name, "lease name");
    return this.locked(grant.name, async () => {
      this.verify(await this.read(grant.name), grant);
      return fn();
    });
  }

  private verify(s: LeaseFile, grant: LeaseGrant): void {
    if (s.holder !== grant.holder || s.token !== grant.token) throw leaseLost(grant, `the lease is now token ${s.token} (${s.holder ?? "released"})`);
    if (s.expiresAt <= this.now()) throw leaseLost(grant, "it expired");
  }

  private file(name: string): string {
    return join(this.root, `${name}.lease.json`);
  }

  private async read(name: string): Promise<LeaseFile> {
    let text: string;
    try {
      text = await readFile(this.file(name), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { format: "freshml.lease", formatVersion: 1, holder: null, token: 0, expiresAt: -1 };
      throw err;
    }
    try {
      return leaseFileSchema.parse(JSON.parse(text));
    } catch {
      throw new FreshmlError("checksum_mismatch", `lease file ${this.file(name)} is not a valid lease: delete it to reset (tokens restart)`, { path: this.file(name) });
    }
  }

  private async write(name: string, s: LeaseFile): Promise<void> {
    await writeFileAtomic(this.file(name), JSON.stringify(s));
  }

  private async locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    await mkdir(this.root, { recursive: true });
    return withFileLock(join(this.root, `${name}.lease.lock`), fn, this.lockOptions);
  }
}
