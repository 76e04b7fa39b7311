import { PGlite } from "@electric-sql/pglite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LinearRegression, MemoryModelStore, followChampion, type ChampionFollower, type ModelStore, type ServingModel } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";
import { PostgresModelStore } from "../../src/postgres/index.js";
import { FakeClock } from "../../src/testing/index.js";

const root = mkdtempSync(join(tmpdir(), "freshml-follow-"));
let db: PGlite | undefined;
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await db?.close();
});
let n = 0;

/** A model whose prediction at x = 0 is `k` (y = k + x). */
function constant(k: number) {
  const m = new LinearRegression({ l2: 0 });
  m.update({ X: [[0], [1], [2]], y: [k, k + 1, k + 2] });
  return { name: "model", trainer: m.toJSON(), tags: { k: String(k) } };
}

/** Collects swaps; `until` waits (event-driven, with a deadline) for a condition on them. */
function swaps() {
  const seen: number[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  const onSwap = (m: ServingModel): void => {
    seen.push(m.version!);
    for (const f of [...waiters]) f();
  };
  const onError = (e: unknown): void => {
    errors.push(e);
    for (const f of [...waiters]) f();
  };
  const until = (pred: () => boolean, ms = 10_000): Promise<void> =>
    new Promise((resolve, reject) => {
      if (pred()) return resolve();
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`not met within ${ms} ms; swaps ${JSON.stringify(seen)}, errors ${errors.map(String).join("; ")}`));
      }, ms);
      waiters.add(check);
    });
  return { seen, errors, onSwap, onError, until };
}

const predictAt0 = (f: ChampionFollower): number => f.predict([[0]])[0]!;

/** The same behaviour on each store: writes by another store object (as another process would make them). */
const stores: [string, () => Promise<{ reader: ModelStore; writer: ModelStore; close?: () => Promise<void> }>][] = [
  ["MemoryModelStore", async () => {
    const s = new MemoryModelStore();
    return { reader: s, writer: s };
  }],
  ["FileModelStore", async () => {
    const dir = join(root, `s${n++}`);
    return { reader: new FileModelStore(dir, { fsync: false }), writer: new FileModelStore(dir, { fsync: false }) };
  }],
  ["PostgresModelStore (PGlite)", async () => {
    // One database for the suite (starting PGlite is the slow part), a schema per test.
    db ??= new PGlite();
    const s = new PostgresModelStore(db, { schema: `follow${n++}` });
    await s.init();
    return { reader: s, writer: s };
  }],
];

describe.each(stores)("followChampion on %s", (_label, make) => {
  it("serves nothing before a champion, then swaps to each promotion and rollback, in order; nothing after close", async () => {
    const { reader, writer, close } = await make();
    const s = swaps();
    const f = await followChampion(reader, "model", { onSwap: s.onSwap, onError: s.onError });
    try {
      expect(f.model).toBeNull();
      expect(() => f.predict([[0]])).toThrowError(expect.objectContaining({ code: "not_found" }));
      await writer.putAndAlias(constant(10), "champion");
      await s.until(() => f.version === 1);
      expect(predictAt0(f)).toBeCloseTo(10, 9);
      await writer.putAndAlias(constant(20), "champion");
      await s.until(() => f.version === 2);
      expect(predictAt0(f)).toBeCloseTo(20, 9);
      await writer.rollback("model", "champion");
      await s.until(() => f.version === 1);
      expect(predictAt0(f)).toBeCloseTo(10, 9);
      expect(s.errors).toEqual([]);
    } finally {
      await f.close();
    }
    await writer.setAlias("model", "champion", 2);
    // A second follower sees the move; the closed one stays where it was.
    const g = await followChampion(reader, "model");
    expect(g.version).toBe(2);
    await g.close();
    expect(f.version).toBe(1);
    await close?.();
  });

  it("a version that cannot be loaded goes to onError; the previous model keeps serving until a good one comes", async () => {
    const { reader, writer, close } = await make();
    await writer.putAndAlias(constant(1), "champion");
    const s = swaps();
    const f = await followChampion(reader, "model", { onSwap: s.onSwap, onError: s.onError, pollIntervalMs: 60_000 });
    try {
      expect(f.version).toBe(1);
      // A trainer kind this process does not know (a newer library, a custom trainer without its registry).
      await writer.putAndAlias({ name: "model", trainer: { ...constant(2).trainer, kind: "NoSuchTrainer" } }, "champion");
      await s.until(() => s.errors.length >= 1);
      expect(f.version).toBe(1);
      expect(predictAt0(f)).toBeCloseTo(1, 9);
      await writer.putAndAlias(constant(3), "champion");
      await s.until(() => f.version === 3);
      expect(predictAt0(f)).toBeCloseTo(3, 9);
    } finally {
      await f.close();
      await close?.();
    }
  });
});

describe("followChampion", () => {
  it("swaps atomically: during 200 promotions, every prediction is the one of the version served at that instant", async () => {
    const store = new MemoryModelStore();
    const f = await followChampion(store, "model");
    let checked = 0;
    let writing = true;
    const writer = (async () => {
      for (let k = 1; k <= 200; k++) {
        await store.putAndAlias(constant(k), "champion");
        if (k % 2 === 0) await new Promise((r) => setImmediate(r)); // let the reader in between some moves
      }
      writing = false;
    })();
    while (writing || f.version !== 200) {
      const model = f.model;
      if (model) {
        // Trainer and version from the same object: version k predicts k at 0.
        expect(model.predict([[0]])[0]).toBeCloseTo(model.version!, 9);
        checked++;
      }
      await new Promise((r) => setImmediate(r));
    }
    await writer;
    expect(checked).toBeGreaterThan(0);
    expect(f.version).toBe(200);
    await f.close();
  });

  it("polls resolveAlias on a store without watch (injected clock), and retries a failed load at the next poll", async () => {
    const inner = new MemoryModelStore();
    // The store contract without watch: the follower must poll.
    const store: ModelStore = {
      put: (r) => inner.put(r),
      putAndAlias: (r, a) => inner.putAndAlias(r, a),
      get: (name, ref) => (failGets > 0 ? (failGets--, Promise.reject(new Error("disk hiccup"))) : inner.get(name, ref)),
      list: (name, o) => inner.list(name, o),
      verify: (name) => inner.verify(name),
      setAlias: (name, a, v) => inner.setAlias(name, a, v),
      resolveAlias: (name, a) => inner.resolveAlias(name, a),
      aliasHistory: (name, a) => inner.aliasHistory(name, a),
      rollback: (name, a) => inner.rollback(name, a),
      prune: (name, o) => inner.prune(name, o),
      putCheckpoint: (c) => inner.putCheckpoint(c),
      getCheckpoint: (name) => inner.getCheckpoint(name),
    };
    let failGets = 0;
    const clock = new FakeClock(0);
    const s = swaps();
    const f = await followChampion(store, "model", { clock, pollIntervalMs: 1_000, onSwap: s.onSwap, onError: s.onError });
    expect(f.version).toBeNull();
    await store.putAndAlias(constant(5), "champion");
    await clock.advance(999);
    expect(f.version).toBeNull(); // not polled yet
    await clock.advance(1);
    await s.until(() => f.version === 1);
    failGets = 1;
    await store.putAndAlias(constant(6), "champion");
    await clock.advance(1_000);
    await s.until(() => s.errors.length === 1);
    expect(f.version).toBe(1);
    await clock.advance(1_000); // the next poll tries again
    await s.until(() => f.version === 2);
    expect(s.seen).toEqual([1, 2]);
    await f.close();
    expect(clock.pending).toBe(0);
  });

  it("rejects when the first load fails, leaving nothing running", async () => {
    const store = new FileModelStore(join(root, `s${n++}`), { fsync: false });
    await store.putAndAlias({ name: "model", trainer: { ...constant(1).trainer, kind: "NoSuchTrainer" } }, "champion");
    await expect(followChampion(store, "model")).rejects.toBeTruthy();
  });
});
