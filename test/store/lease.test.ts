import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryLease, Scheduler, type SchedulerEvent } from "../../src/index.js";
import { FileLease } from "../../src/node/index.js";
import { FakeClock } from "../../src/testing/index.js";
import { leaseContract } from "./lease-contract.js";

const root = mkdtempSync(join(tmpdir(), "freshml-lease-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

describe("MemoryLease", () => {
  leaseContract(async () => {
    let now = 1_000;
    return { lease: new MemoryLease({ now: () => now }), ttlMs: 100, expire: async () => void (now += 101) };
  });

  it("check refuses a stale grant with lease_lost", async () => {
    let now = 0;
    const lease = new MemoryLease({ now: () => now });
    const a = await lease.acquire("job", "a", { ttlMs: 10 });
    if (!a.acquired) throw new Error("not acquired");
    expect(() => lease.check(a.grant)).not.toThrow();
    now = 11;
    expect(() => lease.check(a.grant)).toThrowError(expect.objectContaining({ code: "lease_lost" }));
  });
});

describe("FileLease", () => {
  leaseContract(async () => {
    let now = 1_000;
    return { lease: new FileLease(join(root, `l${n++}`), { now: () => now }), ttlMs: 100, expire: async () => void (now += 101) };
  });

  it("two FileLease objects on one folder (as two processes would) see each other's grants; check refuses a stale grant", async () => {
    let now = 0;
    const dir = join(root, `l${n++}`);
    const a = new FileLease(dir, { now: () => now });
    const b = new FileLease(dir, { now: () => now });
    const ga = await a.acquire("job", "a", { ttlMs: 10 });
    expect(await b.acquire("job", "b", { ttlMs: 10 })).toMatchObject({ acquired: false, holder: { holder: "a" } });
    if (!ga.acquired) throw new Error("not acquired");
    await a.check(ga.grant);
    now = 20;
    expect(await b.acquire("job", "b", { ttlMs: 10 })).toMatchObject({ acquired: true, grant: { token: 2 } });
    await expect(a.check(ga.grant)).rejects.toMatchObject({ code: "lease_lost" });
  });
});

describe("Scheduler with a lease", () => {
  it("three replicas over 20 ticks: exactly one run per tick; the others report skipped and name the holder", async () => {
    const clock = new FakeClock(Date.parse("2026-01-01T00:00:00.500Z"));
    const lease = new MemoryLease({ now: () => clock.now() });
    const runs: { replica: string; at: number; token: number | undefined }[] = [];
    const events: (SchedulerEvent & { replica: string })[] = [];
    const replicas = ["r0", "r1", "r2"].map(
      (replica) =>
        new Scheduler({
          cron: "* * * * * *",
          clock,
          lease: { lease, name: "model", holder: replica, ttlMs: 5_000 },
          run: async ({ lease: grant }) => void runs.push({ replica, at: clock.now(), token: grant?.token }),
          onEvent: (e) => events.push({ ...e, replica }),
        }),
    );
    for (const s of replicas) s.start();
    await clock.advance(20_000);
    const ticks = new Set(events.filter((e) => e.type === "tick").map((e) => e.at));
    expect(ticks.size).toBe(20);
    expect(runs).toHaveLength(20);
    expect(new Set(runs.map((r) => r.at)).size).toBe(20); // one per tick
    const skipped = events.filter((e) => e.type === "skipped");
    expect(skipped).toHaveLength(40);
    const leader = runs[0]!.replica;
    for (const e of skipped) expect(e).toMatchObject({ why: "lease held", holder: leader });
    expect(runs.every((r) => r.replica === leader && r.token === 1)).toBe(true);

    // The leader stops (releasing the lease): another replica leads from the next tick, with a higher token.
    await replicas.find((_, i) => `r${i}` === leader)!.stop();
    runs.length = 0;
    await clock.advance(5_000);
    expect(runs).toHaveLength(5);
    expect(new Set(runs.map((r) => r.replica)).size).toBe(1);
    expect(runs[0]!.replica).not.toBe(leader);
    expect(runs[0]!.token).toBe(2);
    for (const s of replicas) await s.stop();
  });

  it("a leader that stops renewing loses the lease after its TTL; another takes over", async () => {
    const clock = new FakeClock(Date.parse("2026-01-01T00:00:00.500Z"));
    const lease = new MemoryLease({ now: () => clock.now() });
    // r0 holds the lease and never renews (a paused process): its TTL runs out.
    const stale = await lease.acquire("model", "r0", { ttlMs: 2_500 });
    expect(stale.acquired).toBe(true);
    const runs: number[] = [];
    const events: SchedulerEvent[] = [];
    const s = new Scheduler({
      cron: "* * * * * *",
      clock,
      lease: { lease, name: "model", holder: "r1", ttlMs: 5_000 },
      run: async ({ lease: grant }) => void runs.push(grant!.token),
      onEvent: (e) => events.push(e),
    });
    s.start();
    await clock.advance(5_000);
    expect(events.filter((e) => e.type === "skipped").map((e) => (e as { holder?: string }).holder)).toEqual(["r0", "r0"]);
    expect(runs).toEqual([2, 2, 2]);
    await s.stop();
  });

  it("a run whose lease renewal fails is aborted", async () => {
    const clock = new FakeClock(0);
    const lease = new MemoryLease({ now: () => clock.now() });
    let aborted = false;
    const s = new Scheduler({
      cron: "* * * * * *",
      clock,
      lease: { lease, name: "model", holder: "r1", ttlMs: 3_000 },
      run: ({ signal, lease: grant }) =>
        new Promise((resolve) => {
          // Another process forcibly takes over (as after a pause past the TTL).
          void lease.release(grant!).then(() => lease.acquire("model", "intruder", { ttlMs: 60_000 }));
          signal.addEventListener("abort", () => {
            aborted = true;
            resolve(null);
          });
        }),
    });
    s.start();
    await clock.advance(3_000);
    expect(aborted).toBe(true);
    await s.stop();
  });
});
