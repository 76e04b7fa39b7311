import { FreshmlError, checkParam } from "../core/errors.js";
import { checkName, type CheckpointInput, type ModelRecordInput, type ModelStore } from "./model-store.js";

/**
 * A lease granted to one holder: prove it to the store with `{ fence: grant }`.
 *
 * @example
 * ```ts
 * import { MemoryLease, type LeaseAttempt } from "freshml";
 * const lease = new MemoryLease();
 * const attempt: LeaseAttempt = await lease.acquire("model", "replica-a", { ttlMs: 10_000 });
 * if (attempt.acquired) console.log("token", attempt.grant.token, "until", attempt.grant.expiresAt);
 * else console.log("held by", attempt.holder.holder);
 * ```
 */
export interface LeaseGrant {
  /** The lease's name (say, the model name). */
  name: string;
  /** Who holds it (a host and process id, say). */
  holder: string;
  /**
   * The fencing token: 1, 2, 3, … per lease name, one higher at every new
   * holder (renewals keep it). A store refuses a write whose token is not
   * the current one.
   */
  token: number;
  /** When it ends unless renewed, ms since the epoch (on the lease's own clock). */
  expiresAt: number;
}

/**
 * Who holds a lease now (see {@link LeaseAttempt}).
 *
 * @example
 * ```ts
 * import { MemoryLease } from "freshml";
 * const lease = new MemoryLease();
 * await lease.acquire("model", "replica-a", { ttlMs: 10_000 });
 * const holder = await lease.current("model"); // { holder: "replica-a", token: 1, expiresAt: … }
 * ```
 */
export interface LeaseHolder {
  /** The holder's id. */
  holder: string;
  /** The holder's fencing token. */
  token: number;
  /** When the holder's lease ends unless renewed, ms since the epoch. */
  expiresAt: number;
}

/**
 * The outcome of {@link Lease.acquire}: granted, or held by someone else (named).
 *
 * @example
 * ```ts
 * import { MemoryLease, type LeaseAttempt } from "freshml";
 * const lease = new MemoryLease();
 * const attempt: LeaseAttempt = await lease.acquire("model", "replica-a", { ttlMs: 10_000 });
 * if (attempt.acquired) console.log("token", attempt.grant.token, "until", attempt.grant.expiresAt);
 * else console.log("held by", attempt.holder.holder);
 * ```
 */
export type LeaseAttempt = LeaseAcquired | LeaseRefused;

/**
 * {@link Lease.acquire} succeeded.
 *
 * @example
 * ```ts
 * import { MemoryLease, type LeaseAttempt } from "freshml";
 * const lease = new MemoryLease();
 * const attempt: LeaseAttempt = await lease.acquire("model", "replica-a", { ttlMs: 10_000 });
 * if (attempt.acquired) console.log("token", attempt.grant.token, "until", attempt.grant.expiresAt);
 * else console.log("held by", attempt.holder.holder);
 * ```
 */
export interface LeaseAcquired {
  /** Discriminant. */
  acquired: true;
  /** The grant, with its fencing token. */
  grant: LeaseGrant;
}

/**
 * {@link Lease.acquire} found the lease held by another, unexpired holder.
 *
 * @example
 * ```ts
 * import { MemoryLease, type LeaseAttempt } from "freshml";
 * const lease = new MemoryLease();
 * const attempt: LeaseAttempt = await lease.acquire("model", "replica-a", { ttlMs: 10_000 });
 * if (attempt.acquired) console.log("token", attempt.grant.token, "until", attempt.grant.expiresAt);
 * else console.log("held by", attempt.holder.holder);
 * ```
 */
export interface LeaseRefused {
  /** Discriminant. */
  acquired: false;
  /** Who holds it. */
  holder: LeaseHolder;
}

/**
 * A named, time-limited lease with fencing tokens: at most one holder at a
 * time per name, across every process that shares the lease's backing store.
 *
 * A holder can be paused (a GC stall, SIGSTOP, a VM migration) past its TTL
 * without knowing it; then another may acquire the lease with a higher token.
 * Writes that carry the old grant as `{ fence }` are refused by the store
 * (`lease_lost`), so a stale holder can never move `champion`.
 *
 * Implementations: {@link MemoryLease}, `FileLease` (`freshml/node`) and
 * `PostgresLease` (`freshml/postgres`).
 *
 * @example
 * ```ts
 * import { MemoryLease } from "freshml";
 * const lease = new MemoryLease();
 * const a = await lease.acquire("retrain", "replica-a", { ttlMs: 30_000 });
 * const b = await lease.acquire("retrain", "replica-b", { ttlMs: 30_000 });
 * // a.acquired === true, a.grant.token === 1; b.acquired === false, b.holder.holder === "replica-a"
 * if (a.acquired) await lease.release(a.grant);
 * ```
 */
export interface Lease {
  /**
   * Takes the lease for `ttlMs` if it is free or expired (a new, higher
   * token), or renews it if `holder` already holds it (same token).
   */
  acquire(name: string, holder: string, options: LeaseOptions): Promise<LeaseAttempt>;
  /** Extends a held lease; `lease_lost` if it expired or another holder took it. */
  renew(grant: LeaseGrant, options: LeaseOptions): Promise<LeaseGrant>;
  /** Gives the lease up (a no-op if it is no longer this grant's). The token is never reused. */
  release(grant: LeaseGrant): Promise<void>;
  /** The current, unexpired holder, or null. */
  current(name: string): Promise<LeaseHolder | null>;
}

/**
 * Options of {@link Lease.acquire} and {@link Lease.renew}.
 *
 * @example
 * ```ts
 * import { MemoryLease, type LeaseOptions } from "freshml";
 * const options: LeaseOptions = { ttlMs: 30_000 };
 * await new MemoryLease().acquire("model", "replica-a", options);
 * ```
 */
export interface LeaseOptions {
  /** How long the lease lasts from now, in ms (≥ 1). */
  ttlMs: number;
}

/** Checks a lease call's arguments (`invalid_name`, `invalid_params`). */
export function checkLeaseArgs(name: string, holder: string, options: LeaseOptions): void {
  checkName(name, "lease name");
  checkParam(typeof holder === "string" && holder.length > 0 && holder.length <= 256, "holder", "a non-empty string of at most 256 characters", holder);
  checkParam(Number.isInteger(options?.ttlMs) && options.ttlMs >= 1, "ttlMs", "an integer ≥ 1", options?.ttlMs);
}

/** The `lease_lost` error. */
export function leaseLost(grant: LeaseGrant, why: string): FreshmlError {
  return new FreshmlError("lease_lost", `lease ${grant.name} (token ${grant.token}, holder ${grant.holder}) is lost: ${why}`, {
    name: grant.name,
    token: grant.token,
    holder: grant.holder,
  });
}

interface MemoryLeaseState {
  holder: string | null;
  token: number;
  expiresAt: number;
}

/**
 * A {@link Lease} in memory, for one process (several schedulers, tests).
 * Its clock is injectable, so expiry is tested without waiting.
 *
 * @example
 * ```ts
 * import { MemoryLease } from "freshml";
 * let now = 0;
 * const lease = new MemoryLease({ now: () => now });
 * const a = await lease.acquire("job", "a", { ttlMs: 100 });
 * now = 150; // a's lease has expired
 * const b = await lease.acquire("job", "b", { ttlMs: 100 }); // granted, token 2
 * ```
 */
export class MemoryLease implements Lease {
  private readonly leases = new Map<string, MemoryLeaseState>();
  private readonly now: () => number;

  /** @param options.now — the clock in ms (injectable for tests); defaults to `Date.now`. */
  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async acquire(name: string, holder: string, options: LeaseOptions): Promise<LeaseAttempt> {
    checkLeaseArgs(name, holder, options);
    const now = this.now();
    const s = this.leases.get(name) ?? { holder: null, token: 0, expiresAt: -Infinity };
    if (s.holder !== null && s.holder !== holder && s.expiresAt > now) {
      return { acquired: false, holder: { holder: s.holder, token: s.token, expiresAt: s.expiresAt } };
    }
    const keeps = s.holder === holder && s.expiresAt > now;
    const next = { holder, token: keeps ? s.token : s.token + 1, expiresAt: now + options.ttlMs };
    this.leases.set(name, next);
    return { acquired: true, grant: { name, ...next } };
  }

  async renew(grant: LeaseGrant, options: LeaseOptions): Promise<LeaseGrant> {
    checkLeaseArgs(grant?.name, grant?.holder, options);
    const now = this.now();
    const s = this.leases.get(grant.name);
    if (!s || s.holder !== grant.holder || s.token !== grant.token) throw leaseLost(grant, "another holder took it");
    if (s.expiresAt <= now) throw leaseLost(grant, "it expired");
    s.expiresAt = now + options.ttlMs;
    return { ...grant, expiresAt: s.expiresAt };
  }

  async release(grant: LeaseGrant): Promise<void> {
    const s = this.leases.get(grant?.name);
    if (s && s.holder === grant.holder && s.token === grant.token) {
      s.holder = null;
      s.expiresAt = -Infinity;
    }
  }

  async current(name: string): Promise<LeaseHolder | null> {
    checkName(name, "lease name");
    const s = this.leases.get(name);
    if (!s || s.holder === null || s.expiresAt <= this.now()) return null;
    return { holder: s.holder, token: s.token, expiresAt: s.expiresAt };
  }

  /**
   * Throws `lease_lost` unless `grant` is the current, unexpired grant of its
   * lease: what a store built on this lease checks before a fenced write.
   */
  check(grant: LeaseGrant): void {
    const s = this.leases.get(grant?.name);
    if (!s || s.holder !== grant.holder || s.token !== grant.token) throw leaseLost(grant, "another holder took it");
    if (s.expiresAt <= this.now()) throw leaseLost(grant, "it expired");
  }
}

/**
 * Options of a fenced write: `put(record, { fence })`, `setAlias(name, alias, version, { fence })`.
 *
 * @example
 * ```ts
 * import { PGlite } from "@electric-sql/pglite";
 * import { MeanRegressor } from "freshml";
 * import { PostgresLease, PostgresModelStore } from "freshml/postgres";
 * const db = new PGlite();
 * const lease = new PostgresLease(db);
 * const store = new PostgresModelStore(db);
 * const attempt = await lease.acquire("model", "replica-a", { ttlMs: 30_000 });
 * const m = new MeanRegressor();
 * m.update({ X: [[0]], y: [1] });
 * if (attempt.acquired) await store.put({ name: "model", trainer: m.toJSON() }, { fence: attempt.grant });
 * await db.close();
 * ```
 */
export interface FenceOptions {
  /**
   * The writer's lease grant. The write commits only if this is still the
   * lease's current, unexpired grant (checked in the write's transaction);
   * otherwise it is refused with `lease_lost` and nothing is written.
   */
  fence?: LeaseGrant;
}

/**
 * A {@link ModelStore} whose writes take `{ fence }` ({@link FenceOptions}):
 * `PostgresModelStore` (with `PostgresLease`), `FileModelStore` (with a
 * `FileLease` on the store's folder) and {@link MemoryModelStore} built with
 * a {@link MemoryLease}. A fenced write is checked against the lease in the
 * write's own transaction or lock, so no new holder can take the lease between
 * the check and the write. Tell one apart with {@link supportsFencing}.
 *
 * @example
 * ```ts
 * import { MemoryLease, MemoryModelStore, MeanRegressor, supportsFencing } from "freshml";
 * const lease = new MemoryLease();
 * const store = new MemoryModelStore({ lease });
 * const attempt = await lease.acquire("demo", "replica-a", { ttlMs: 30_000 });
 * const m = new MeanRegressor();
 * m.update({ X: [[0]], y: [1] });
 * if (supportsFencing(store) && attempt.acquired) {
 *   await store.putAndAlias({ name: "demo", trainer: m.toJSON() }, "champion", { fence: attempt.grant });
 * }
 * ```
 */
export interface FencingModelStore extends ModelStore {
  /** True: writes given `{ fence }` are refused with `lease_lost` unless it is the lease's current, unexpired grant. */
  readonly fencing: true;
  /** {@link ModelStore.put}, fenced. */
  put(record: ModelRecordInput, options?: FenceOptions): Promise<number>;
  /** {@link ModelStore.putAndAlias}, fenced. */
  putAndAlias(record: ModelRecordInput, alias: string, options?: FenceOptions): Promise<number>;
  /** {@link ModelStore.setAlias}, fenced. */
  setAlias(name: string, alias: string, version: number, options?: FenceOptions): Promise<void>;
  /** {@link ModelStore.rollback}, fenced. */
  rollback(name: string, alias: string, options?: FenceOptions): Promise<number>;
  /** {@link ModelStore.putCheckpoint}, fenced. */
  putCheckpoint(checkpoint: CheckpointInput, options?: FenceOptions): Promise<void>;
}

/**
 * Whether `store` checks `{ fence }` on its writes ({@link FencingModelStore}).
 * A store that does not would ignore a fence, so a caller that must be fenced
 * (a `Pipeline` given `fence`) refuses such a store instead.
 *
 * @example
 * ```ts
 * import { MemoryLease, MemoryModelStore, supportsFencing } from "freshml";
 * supportsFencing(new MemoryModelStore()); // false: no lease to check against
 * supportsFencing(new MemoryModelStore({ lease: new MemoryLease() })); // true
 * ```
 */
export function supportsFencing(store: ModelStore): store is FencingModelStore {
  return (store as Partial<FencingModelStore> | null)?.fencing === true;
}
