/** Fenced writes, run against each store that fences (not a test file itself). */
import { expect, it } from "vitest";
import { LinearRegression, type FencingModelStore, type Lease, type LeaseGrant } from "../../src/index.js";

export interface FencingFixture {
  store: FencingModelStore;
  /** The lease whose grants the store checks. */
  lease: Lease;
  /** A TTL short enough for `expire` to get past. */
  ttlMs: number;
  /** Moves past the expiry of a lease taken with `ttlMs` (a fake clock, or waiting for the condition). */
  expire: (name: string) => Promise<void>;
}

function trained(seed: number) {
  const m = new LinearRegression();
  m.update({ X: [[seed], [seed + 1]], y: [1, seed] });
  return { name: "model", trainer: m.toJSON() };
}

async function grantOf(lease: Lease, holder: string, ttlMs: number): Promise<LeaseGrant> {
  const a = await lease.acquire("model", holder, { ttlMs });
  if (!a.acquired) throw new Error(`${holder} did not get the lease`);
  return a.grant;
}

/** Every write the store fences, with `grant`; each must be refused with lease_lost. */
async function expectAllRefused(store: FencingModelStore, grant: LeaseGrant, existing: number): Promise<void> {
  const fence = { fence: grant };
  await expect(store.put(trained(7), fence)).rejects.toMatchObject({ code: "lease_lost" });
  await expect(store.putAndAlias(trained(8), "champion", fence)).rejects.toMatchObject({ code: "lease_lost" });
  await expect(store.setAlias("model", "champion", existing, fence)).rejects.toMatchObject({ code: "lease_lost" });
  await expect(store.rollback("model", "champion", fence)).rejects.toMatchObject({ code: "lease_lost" });
  await expect(store.putCheckpoint({ name: "model", champion: existing, trainer: trained(9).trainer, state: { stale: true } }, fence)).rejects.toMatchObject({ code: "lease_lost" });
}

export function fencingContract(make: () => Promise<FencingFixture>): void {
  it("fenced writes with the current grant go through: put, putAndAlias, setAlias, rollback, putCheckpoint", async () => {
    const { store, lease, ttlMs } = await make();
    expect(store.fencing).toBe(true);
    const fence = { fence: await grantOf(lease, "a", ttlMs * 100) };
    const v1 = await store.put(trained(1), fence);
    const v2 = await store.putAndAlias(trained(2), "champion", fence);
    await store.setAlias("model", "champion", v1, fence);
    await store.setAlias("model", "champion", v2, fence);
    expect(await store.rollback("model", "champion", fence)).toBe(v1);
    await store.putCheckpoint({ name: "model", champion: v1, trainer: trained(1).trainer, state: { ok: 1 } }, fence);
    expect((await store.getCheckpoint("model"))?.state).toEqual({ ok: 1 });
  });

  it("a holder whose lease expired is refused (lease_lost) on every write, taken over or not; nothing is written", async () => {
    const { store, lease, ttlMs, expire } = await make();
    // A long grant for the writes that must go through (on a loaded machine they can outlast a short TTL),
    // then renewed to the short TTL that `expire` gets past: same holder, same token.
    const a = await grantOf(lease, "a", ttlMs * 100);
    const v1 = await store.putAndAlias(trained(1), "champion", { fence: a });
    await store.putCheckpoint({ name: "model", champion: v1, trainer: trained(1).trainer, state: { by: "a" } }, { fence: a });
    expect((await lease.renew(a, { ttlMs })).token).toBe(a.token);
    await expire("model");
    // Expired, nobody took it: the holder "wakes up" and tries every write.
    await expectAllRefused(store, a, v1);
    const b = await grantOf(lease, "b", ttlMs * 100);
    expect(b.token).toBe(a.token + 1);
    const v2 = await store.putAndAlias(trained(3), "champion", { fence: b });
    await store.putCheckpoint({ name: "model", champion: v2, trainer: trained(3).trainer, state: { by: "b" } }, { fence: b });
    // Taken over: still refused, and the new holder's writes stand.
    await expectAllRefused(store, a, v1);
    expect(await store.resolveAlias("model", "champion")).toBe(v2);
    expect((await store.list("model")).versions.map((v) => v.version)).toEqual([v2, v1]);
    expect((await store.aliasHistory("model", "champion")).map((e) => e.version)).toEqual([v1, v2]);
    const cp = await store.getCheckpoint("model");
    expect(cp?.state).toEqual({ by: "b" });
    expect(cp?.sequence).toBe(2);
  });

  it("a released grant is refused; unfenced writes are not checked", async () => {
    const { store, lease, ttlMs } = await make();
    const a = await grantOf(lease, "a", ttlMs * 100);
    await lease.release(a);
    await expect(store.put(trained(1), { fence: a })).rejects.toMatchObject({ code: "lease_lost" });
    expect(await store.put(trained(1))).toBe(1);
  });
}
