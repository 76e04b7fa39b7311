/**
 * A store that lives for years: 10,000 alias moves on the file store and
 * 10,000 pipeline-like saves (put + setAlias, then putAndAlias) with pruning,
 * and the alias history retention honoured throughout. Asserts sizes and
 * counts, not timings (the benchmark measures the cost per save).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_ALIAS_HISTORY_LIMIT, LinearRegression, MemoryModelStore, type ModelStore } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";

const root = mkdtempSync(join(tmpdir(), "freshml-long-lived-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function trainer() {
  const m = new LinearRegression();
  m.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
  return m.toJSON();
}

/** The clock a store sees: one second per call, so events differ and no test sleeps. */
function ticking(): () => Date {
  let t = Date.parse("2026-01-01T00:00:00Z");
  return () => new Date((t += 1000));
}

async function checkRetention(s: ModelStore, alias: string, moves: number, limit: number): Promise<void> {
  const h = await s.aliasHistory("m", alias);
  expect(h.length).toBe(limit);
  expect(h[0]!.seq).toBe(moves - limit + 1);
  expect(h[h.length - 1]!.seq).toBe(moves);
  // Each event's previous is the version before it: the retained window is contiguous.
  for (let i = 1; i < h.length; i++) expect(h[i]!.previous).toBe(h[i - 1]!.version);
  expect(await s.resolveAlias("m", alias)).toBe(h[h.length - 1]!.version);
}

describe("a long-lived store", () => {
  it("file store: 10,000 alias moves keep 1,000 events (the default), a bounded log and snapshot, and stay readable by a new process", async () => {
    const dir = join(root, "file");
    const s = new FileModelStore(dir, { fsync: false, now: ticking() });
    const versions = [await s.put({ name: "m", trainer: trainer() }), await s.put({ name: "m", trainer: trainer() }), await s.put({ name: "m", trainer: trainer() })];
    const MOVES = 10_000;
    let biggestSnapshot = 0;
    for (let i = 1; i <= MOVES; i++) {
      await s.setAlias("m", "champion", versions[i % 3]!);
      if (i % 1000 === 0) {
        const logLines = readFileSync(join(dir, "m", "aliases.log"), "utf8").split("\n").length - 2;
        expect(logLines).toBeLessThan(100);
        biggestSnapshot = Math.max(biggestSnapshot, statSync(join(dir, "m", "aliases.json")).size);
      }
    }
    expect(DEFAULT_ALIAS_HISTORY_LIMIT).toBe(1000);
    await checkRetention(s, "champion", MOVES, 1000);
    await checkRetention(new FileModelStore(dir), "champion", MOVES, 1000);
    // The snapshot holds at most 1,000 events (about 150 bytes each) and a 1,000-entry stack.
    expect(biggestSnapshot).toBeLessThan(1000 * 200);
    expect(readdirSync(join(dir, "m")).filter((f) => f.includes(".tmp-"))).toEqual([]);
    // Rollback walks back through the retained stack.
    expect(await s.rollback("m", "champion")).toBe(versions[(MOVES - 1) % 3]);
    // prune trims the history further when asked, and seq goes on counting.
    await s.prune("m", { keep: 3, history: 10 });
    const h = await new FileModelStore(dir).aliasHistory("m", "champion");
    expect(h.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => MOVES + 1 - 9 + i));
  }, 180_000);

  it("memory store: 10,000 pipeline-like saves (put + setAlias), then 10,000 putAndAlias, pruned as they go, with a retention of 50", async () => {
    const s = new MemoryModelStore({ aliasHistoryLimit: 50, now: ticking() });
    const SAVES = 10_000;
    for (let i = 1; i <= SAVES; i++) {
      const v = await s.put({ name: "m", trainer: trainer(), parent: i > 1 ? i - 1 : null });
      await s.setAlias("m", "champion", v);
      if (i % 100 === 0) await s.prune("m", { keep: 5 });
    }
    await checkRetention(s, "champion", SAVES, 50);
    expect((await s.list("m")).versions.length).toBeLessThanOrEqual(100);
    for (let i = 1; i <= SAVES; i++) {
      await s.putAndAlias({ name: "m", trainer: trainer() }, "champion");
      if (i % 100 === 0) await s.prune("m", { keep: 5 });
    }
    await checkRetention(s, "champion", 2 * SAVES, 50);
    expect(await s.resolveAlias("m", "champion")).toBe(2 * SAVES);
    expect((await s.list("m")).versions.length).toBeLessThanOrEqual(100);
    // Rollback can walk back 49 steps (the retained stack), skipping pruned versions.
    expect(await s.rollback("m", "champion")).toBe(2 * SAVES - 1);
  }, 120_000);
});
