/** The Lease contract, run against each implementation (not a test file itself). */
import { expect, it } from "vitest";
import type { Lease } from "../../src/index.js";

export interface LeaseFixture {
  lease: Lease;
  /** A TTL short enough for `expire` to get past. */
  ttlMs: number;
  /** Moves past the expiry of a lease taken with `ttlMs` (advance a fake clock, or wait for the condition). */
  expire: (name: string) => Promise<void>;
}

export function leaseContract(make: () => Promise<LeaseFixture>): void {
  it("grants a free lease with token 1; a second holder is refused and told who holds it", async () => {
    const { lease, ttlMs } = await make();
    const a = await lease.acquire("job", "a", { ttlMs: ttlMs * 100 });
    expect(a).toMatchObject({ acquired: true, grant: { name: "job", holder: "a", token: 1 } });
    const b = await lease.acquire("job", "b", { ttlMs });
    expect(b).toMatchObject({ acquired: false, holder: { holder: "a", token: 1 } });
    expect(await lease.current("job")).toMatchObject({ holder: "a", token: 1 });
    // Another name is independent.
    expect(await lease.acquire("other", "b", { ttlMs })).toMatchObject({ acquired: true, grant: { token: 1 } });
  });

  it("the holder re-acquiring renews with the same token; renew keeps the token", async () => {
    const { lease, ttlMs } = await make();
    const a = await lease.acquire("job", "a", { ttlMs: ttlMs * 100 });
    const again = await lease.acquire("job", "a", { ttlMs: ttlMs * 100 });
    expect(again).toMatchObject({ acquired: true, grant: { token: 1 } });
    if (!a.acquired) throw new Error("not acquired");
    const renewed = await lease.renew(a.grant, { ttlMs: ttlMs * 100 });
    expect(renewed.token).toBe(1);
    expect(renewed.expiresAt).toBeGreaterThanOrEqual(a.grant.expiresAt);
  });

  it("after expiry another holder gets a higher token, and the old grant cannot renew (lease_lost)", async () => {
    const { lease, ttlMs, expire } = await make();
    const a = await lease.acquire("job", "a", { ttlMs });
    if (!a.acquired) throw new Error("not acquired");
    await expire("job");
    expect(await lease.current("job")).toBeNull();
    await expect(lease.renew(a.grant, { ttlMs })).rejects.toMatchObject({ code: "lease_lost" });
    const b = await lease.acquire("job", "b", { ttlMs: ttlMs * 100 });
    expect(b).toMatchObject({ acquired: true, grant: { holder: "b", token: 2 } });
    await expect(lease.renew(a.grant, { ttlMs })).rejects.toMatchObject({ code: "lease_lost" });
    // Releasing a stale grant does not release the new holder.
    await lease.release(a.grant);
    expect(await lease.current("job")).toMatchObject({ holder: "b", token: 2 });
  });

  it("release frees the lease at once; the token is never reused", async () => {
    const { lease, ttlMs } = await make();
    const a = await lease.acquire("job", "a", { ttlMs: ttlMs * 100 });
    if (!a.acquired) throw new Error("not acquired");
    await lease.release(a.grant);
    expect(await lease.current("job")).toBeNull();
    expect(await lease.acquire("job", "b", { ttlMs })).toMatchObject({ acquired: true, grant: { token: 2 } });
  });

  it("tokens increase strictly under contention: each grant has its own token", async () => {
    const { lease, ttlMs } = await make();
    const seen: number[] = [];
    for (let round = 0; round < 5; round++) {
      const attempts = await Promise.all(["a", "b", "c"].map((h) => lease.acquire("job", h, { ttlMs: ttlMs * 100 })));
      const won = attempts.filter((x) => x.acquired);
      expect(won).toHaveLength(1);
      const grant = won[0]!.acquired ? won[0]!.grant : null;
      seen.push(grant!.token);
      await lease.release(grant!);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it("bad arguments are invalid_name / invalid_params", async () => {
    const { lease } = await make();
    await expect(lease.acquire("../x", "a", { ttlMs: 10 })).rejects.toMatchObject({ code: "invalid_name" });
    await expect(lease.acquire("job", "", { ttlMs: 10 })).rejects.toMatchObject({ code: "invalid_params" });
    await expect(lease.acquire("job", "a", { ttlMs: 0 })).rejects.toMatchObject({ code: "invalid_params" });
  });
}
