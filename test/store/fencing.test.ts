import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LinearRegression, MemoryLease, MemoryModelStore, supportsFencing } from "../../src/index.js";
import { FileLease, FileModelStore } from "../../src/node/index.js";
import { fencingContract } from "./fencing-contract.js";

const root = mkdtempSync(join(tmpdir(), "freshml-fence-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

describe("MemoryModelStore with a MemoryLease", () => {
  fencingContract(async () => {
    let now = 1_000;
    const lease = new MemoryLease({ now: () => now });
    const store = new MemoryModelStore({ lease });
    if (!supportsFencing(store)) throw new Error("not fencing");
    return { store, lease, ttlMs: 100, expire: async () => void (now += 101) };
  });

  it("without a lease it does not fence, and a fenced write is invalid_params", async () => {
    const store = new MemoryModelStore();
    expect(supportsFencing(store)).toBe(false);
    const m = new LinearRegression();
    m.update({ X: [[0]], y: [1] });
    const fence = { name: "model", holder: "a", token: 1, expiresAt: Infinity };
    await expect(store.put({ name: "model", trainer: m.toJSON() }, { fence })).rejects.toMatchObject({ code: "invalid_params" });
    expect((await store.list("model")).versions).toEqual([]);
  });
});

describe("FileModelStore with a FileLease on its folder", () => {
  fencingContract(async () => {
    // One injected clock for lease and store: the holder "wakes up" by moving it, not by waiting.
    let now = Date.parse("2026-01-01T00:00:00Z");
    const dir = join(root, `s${n++}`);
    const store = new FileModelStore(dir, { now: () => new Date(now), fsync: false });
    const lease = new FileLease(dir, { now: () => now });
    return { store, lease, ttlMs: 100, expire: async () => void (now += 101) };
  });

  it("a lease in another folder does not fence this store (every fenced write is lease_lost) unless leaseDir names it", async () => {
    const dir = join(root, `s${n++}`);
    const leaseDir = join(root, `leases${n++}`);
    const lease = new FileLease(leaseDir);
    const a = await lease.acquire("model", "a", { ttlMs: 60_000 });
    if (!a.acquired) throw new Error("not acquired");
    const m = new LinearRegression();
    m.update({ X: [[0]], y: [1] });
    await expect(new FileModelStore(dir, { fsync: false }).put({ name: "model", trainer: m.toJSON() }, { fence: a.grant })).rejects.toMatchObject({ code: "lease_lost" });
    expect(await new FileModelStore(dir, { fsync: false, leaseDir }).put({ name: "model", trainer: m.toJSON() }, { fence: a.grant })).toBe(1);
  });

  it("the check and the write are one step: a takeover waits for a fenced write in progress", async () => {
    const dir = join(root, `s${n++}`);
    const store = new FileModelStore(dir, { fsync: false });
    const lease = new FileLease(dir);
    const a = await lease.acquire("model", "a", { ttlMs: 60_000 });
    if (!a.acquired) throw new Error("not acquired");
    const order: string[] = [];
    let started!: () => void;
    const inside = new Promise<void>((r) => (started = r));
    // Held inside the lease's lock, as a fenced write is: a release and re-acquire by another waits for it to finish.
    const writing = lease.whileHeld(a.grant, async () => {
      order.push("write start");
      started();
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      order.push("write end");
    });
    await inside;
    const takeover = lease.release(a.grant).then(() => lease.acquire("model", "b", { ttlMs: 60_000 })).then(() => order.push("taken over"));
    await Promise.all([writing, takeover]);
    expect(order).toEqual(["write start", "write end", "taken over"]);
    await expect(store.put({ name: "model", trainer: new LinearRegression().toJSON() }, { fence: a.grant })).rejects.toMatchObject({ code: "lease_lost" });
  });
});
