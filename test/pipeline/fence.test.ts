import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FakeClock } from "../../src/testing/index.js";
import { LinearRegression, MemoryLease, MemoryModelStore, Pipeline, Scheduler, type FencingModelStore, type Lease, type LeaseGrant, type PipelineEvent } from "../../src/index.js";
import { FileLease, FileModelStore } from "../../src/node/index.js";
import { numericBatch } from "./helpers.js";

const root = mkdtempSync(join(tmpdir(), "freshml-pfence-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

async function grantOf(lease: Lease, holder: string, ttlMs: number): Promise<LeaseGrant> {
  const a = await lease.acquire("model", holder, { ttlMs });
  if (!a.acquired) throw new Error(`${holder} did not get the lease`);
  return a.grant;
}

const pipelineFor = (store: FencingModelStore, fence: () => LeaseGrant | null | undefined) =>
  new Pipeline({ trainer: new LinearRegression({ l2: 1e-6 }), store, fence, gate: { mode: "holdout", minRows: 1 } });

/** Stores with a lease on one injected clock: the stale holder "wakes up" when the clock moves, not after a wait. */
const fixtures: [string, () => { store: FencingModelStore; lease: Lease; advance: (ms: number) => void }][] = [
  [
    "FileModelStore + FileLease",
    () => {
      let now = Date.parse("2026-01-01T00:00:00Z");
      const dir = join(root, `s${n++}`);
      return { store: new FileModelStore(dir, { now: () => new Date(now), fsync: false }), lease: new FileLease(dir, { now: () => now }), advance: (ms) => void (now += ms) };
    },
  ],
  [
    "MemoryModelStore + MemoryLease",
    () => {
      let now = 0;
      const lease = new MemoryLease({ now: () => now });
      return { store: new MemoryModelStore({ lease, now: () => new Date(now) }) as FencingModelStore, lease, advance: (ms) => void (now += ms) };
    },
  ],
];

describe.each(fixtures)("Pipeline with fence on %s", (_label, make) => {
  it("a run whose lease is taken over mid-run stops with lease_lost: no champion move, the new holder's checkpoint intact", async () => {
    const { store, lease, advance } = make();
    let grantA: LeaseGrant | null = await grantOf(lease, "a", 1_000);
    const a = pipelineFor(store, () => grantA);
    const first = await a.runBatches([numericBatch(1), numericBatch(2)]);
    expect(first.championVersion).toBe(1);
    const championBefore = await store.aliasHistory("model", "champion");
    // A pauses past its TTL; B takes the lease and writes the checkpoint.
    let grantB: LeaseGrant | null = null;
    const events: PipelineEvent[] = [];
    const afterB: { checkpoint?: unknown; history?: unknown; versions?: number[] } = {};
    async function* source() {
      yield numericBatch(3);
      advance(5_000);
      grantB = await grantOf(lease, "b", 60_000);
      const b = pipelineFor(store, () => grantB);
      await b.runBatches([numericBatch(10)]);
      afterB.checkpoint = await store.getCheckpoint("model");
      afterB.history = await store.aliasHistory("model", "champion");
      afterB.versions = (await store.list("model")).versions.map((v) => v.version);
      // A wakes up: this batch would promote (a changed slope) and checkpoint.
      yield numericBatch(4, 200, 3);
      yield numericBatch(5, 200, 3);
    }
    await expect(a.runBatches(source(), { onEvent: (e) => events.push(e) })).rejects.toMatchObject({ code: "lease_lost" });
    const checkpointAfterB = await store.getCheckpoint("model");
    // A wrote nothing after B took over: versions, champion history and checkpoint are as B left them.
    expect(checkpointAfterB).toEqual(afterB.checkpoint);
    expect(await store.aliasHistory("model", "champion")).toEqual(afterB.history);
    expect((await store.list("model")).versions.map((v) => v.version)).toEqual(afterB.versions);
    expect((await store.aliasHistory("model", "champion")).slice(0, championBefore.length)).toEqual(championBefore);
    // A's second batch after waking (the shifted slope) was never saved.
    expect(events.some((e) => e.type === "batch_validated" && e.batch >= 3)).toBe(true);
    // A's own grant is refused for any write, and the versions are those A made before and B after.
    await expect(store.putCheckpoint({ name: "model", champion: null, trainer: new LinearRegression().toJSON(), state: null }, { fence: grantA })).rejects.toMatchObject({ code: "lease_lost" });
    expect((await store.getCheckpoint("model"))?.sequence).toBe(checkpointAfterB?.sequence);
    // The next run by A (lease back to A after B releases) reads the store again and continues from B's state.
    await lease.release(grantB!);
    grantA = await grantOf(lease, "a", 60_000);
    const next = await a.runBatches([numericBatch(6)]);
    expect(next.restoredFrom?.from).toBe("checkpoint");
    expect(next.restoredFrom?.checkpoint).toBe(checkpointAfterB?.sequence);
  });

  it("a fence that returns null (no lease held) refuses the first write; nothing is stored", async () => {
    const { store } = make();
    const p = pipelineFor(store, () => null);
    await expect(p.runBatches([numericBatch(1)])).rejects.toMatchObject({ code: "lease_lost" });
    expect((await store.list("model")).versions).toEqual([]);
    expect(await store.getCheckpoint("model")).toBeNull();
  });
});

describe("Pipeline fence option", () => {
  it("needs a store that fences", () => {
    expect(() => new Pipeline({ trainer: new LinearRegression(), fence: () => null })).toThrowError(expect.objectContaining({ code: "invalid_params" }));
    expect(() => new Pipeline({ trainer: new LinearRegression(), store: new MemoryModelStore({ lease: new MemoryLease() }), fence: "token" as never })).toThrowError(
      expect.objectContaining({ code: "invalid_params" }),
    );
  });

  it("with a Scheduler's lease: fence: () => scheduler.heldLease fences every run; a lease taken over mid-run stops it with lease_lost", async () => {
    const clock = new FakeClock(Date.parse("2026-01-01T00:00:00.500Z"));
    const lease = new MemoryLease({ now: () => clock.now() });
    const store = new MemoryModelStore({ lease });
    const results: unknown[] = [];
    let takeOver = false;
    const atTakeover: { versions?: number; checkpoint?: number } = {};
    const holder: { scheduler: Scheduler | null } = { scheduler: null };
    const pipeline = pipelineFor(store as FencingModelStore, () => holder.scheduler?.heldLease);
    const scheduler = new Scheduler({
      clock,
      cron: "* * * * * *",
      lease: { lease, name: "model", holder: "a", ttlMs: 60_000 },
      run: async ({ reason, lease: grant }) => {
        async function* source() {
          yield numericBatch(results.length + 1);
          if (takeOver) {
            // Another process forcibly takes over (as after a pause past the TTL); this run still thinks it leads.
            await lease.release(grant!);
            await lease.acquire("model", "b", { ttlMs: 600_000 });
            atTakeover.versions = (await store.list("model")).versions.length;
            atTakeover.checkpoint = (await store.getCheckpoint("model"))?.sequence;
          }
          yield numericBatch(results.length + 10, 200, 3);
        }
        return pipeline.runBatches(source(), { trigger: reason });
      },
      onEvent: (e) => {
        if (e.type === "run_succeeded") results.push("ok");
        if (e.type === "run_failed") results.push((e.error as { code?: string }).code);
      },
    });
    holder.scheduler = scheduler;
    scheduler.start();
    const settle = async (count: number): Promise<void> => {
      for (let i = 0; i < 500 && results.length < count; i++) await new Promise((r) => setImmediate(r));
    };
    await clock.advance(1_000);
    await settle(1);
    expect(results).toEqual(["ok"]);
    expect(scheduler.heldLease).toMatchObject({ holder: "a", token: 1 });
    takeOver = true;
    await clock.advance(1_000);
    await settle(2);
    expect(results).toEqual(["ok", "lease_lost"]);
    // Nothing written after the takeover.
    expect((await store.list("model")).versions.length).toBe(atTakeover.versions);
    expect((await store.getCheckpoint("model"))?.sequence).toBe(atTakeover.checkpoint);
    await scheduler.stop();
  });
});
