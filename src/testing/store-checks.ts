import { FreshmlError } from "../core/errors.js";
import { summarizeRun } from "../history/run-history.js";
import { LinearRegression } from "../learners/linear-regression.js";
import { restoreTrainer } from "../learners/registry.js";
import type { CheckpointInput, CheckpointRecord, ModelRecordInput, ModelStore } from "../store/model-store.js";
import { supportsWatch, type AliasChange, type WatchableModelStore } from "../store/watch.js";
import { VERSION } from "../version.js";
import { runHistoryChecks, sampleReport } from "./run-history-checks.js";

/** One named asynchronous check; `run` rejects with an Error describing the failure. */
export interface AsyncConformanceCheck {
  /** What the check asserts. */
  readonly name: string;
  /** Runs the check. */
  run(): Promise<void>;
}

/** Options of {@link storeChecks}. */
export interface StoreCheckOptions {
  /** Makes a fresh, empty store (a new folder, a new database schema, …). */
  make: () => ModelStore | Promise<ModelStore>;
  /** Label for the check names. Default "store". */
  label?: string;
  /**
   * Also check `watch` (the store must have it: {@link WatchableModelStore}):
   * every move reported once, in order, across `setAlias`, `putAndAlias` and
   * `rollback`; nothing after `close`. Default false.
   */
  watch?: boolean;
  /** How long a watch check waits for changes to arrive, in ms. Default 10,000. */
  watchTimeoutMs?: number;
}

class CheckFailure extends Error {}
function fail(msg: string): never {
  throw new CheckFailure(msg);
}
function eq(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) fail(`${what}: got ${a}, expected ${e}`);
}
/** Deep equality that tells −0 from 0 and names the first difference (JSON.stringify cannot). */
function same(actual: unknown, expected: unknown, what: string): void {
  if (typeof expected === "number") {
    if (!Object.is(actual, expected)) fail(`${what}: got ${describe(actual)}, expected ${describe(expected)}`);
  } else if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) fail(`${what}: got ${describe(actual)}, expected an array of ${expected.length}`);
    for (let i = 0; i < expected.length; i++) same(actual[i], expected[i], `${what}[${i}]`);
  } else if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) fail(`${what}: got ${describe(actual)}, expected an object`);
    const ak = Object.keys(actual).sort();
    const ek = Object.keys(expected).sort();
    eq(ak, ek, `${what} keys`);
    for (const k of ek) same((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${what}.${k}`);
  } else if (actual !== expected) fail(`${what}: got ${describe(actual)}, expected ${describe(expected)}`);
}
function describe(v: unknown): string {
  return typeof v === "number" && Object.is(v, -0) ? "-0" : Array.isArray(v) ? `an array of ${v.length}` : String(JSON.stringify(v));
}

async function rejectsWith(p: Promise<unknown>, code: string, what: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof FreshmlError && err.code === code) return;
    fail(`${what}: rejected with ${String(err)}, expected FreshmlError ${code}`);
  }
  fail(`${what}: did not reject (expected ${code})`);
}

/** A watch that collects its changes, and waits (event-driven, with a deadline) for a condition on them. */
function watchInto(s: WatchableModelStore, name: string, alias: string) {
  const seen: AliasChange[] = [];
  const waiters = new Set<() => void>();
  const watcher = s.watch(name, alias, (change) => {
    seen.push(change);
    for (const f of [...waiters]) f();
  });
  const until = (pred: (seen: AliasChange[]) => boolean, ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (pred(seen)) return resolve();
      const check = (): void => {
        if (!pred(seen)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new CheckFailure(`watch: condition not met within ${ms} ms; changes: ${JSON.stringify(seen)}`));
      }, ms);
      waiters.add(check);
    });
  return { seen, watcher, until };
}

function trainedRecord(name: string, seed: number, extra: Partial<ModelRecordInput> = {}): ModelRecordInput {
  const m = new LinearRegression({ l2: 0.1 });
  m.update({ X: [[seed], [seed + 1], [seed + 3]], y: [1, 2 + seed, 4] });
  return { name, trainer: m.toJSON(), metrics: { rmse: seed / 10 }, data: { batches: 1, rows: 3, fingerprint: `fp${seed}` }, ...extra };
}

/** 1,000 finite doubles that decimal text or a float32 would not keep: −0, sums that are not what they look, extremes. */
function awkwardNumbers(): number[] {
  const special = [0.1 + 0.2, -0, 1e-300, -1e-300, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 2 ** 53 + 2, 1 / 3, 0, 2.2250738585072014e-308];
  return Array.from({ length: 1000 }, (_, i) => (i < special.length ? special[i]! : Math.sin(i) * 10 ** ((i % 41) - 20)));
}

/** Preprocessing-like JSON: nested objects, short arrays, strings, null, booleans, and a long number array deep inside. */
function awkwardPreprocessing(): Record<string, unknown> {
  return {
    fields: [
      { name: "temp", kind: "numeric", mean: 0.1 + 0.2, std: 1e-300, impute: null },
      { name: "colour", kind: "enum", levels: ["red", "grün", "✓ blue"] },
    ],
    scale: [1, 2.5, -3, 1e21],
    nested: { a: { b: { c: { weights: awkwardNumbers().slice(0, 64), ok: true, empty: {}, none: [] } } } },
  };
}

/** Learning-state-like JSON with the 1,000-number array at the top. */
function awkwardLearningState(): Record<string, unknown> {
  return { window: awkwardNumbers(), detector: { kind: "PageHinkley", sum: -0.5, n: 12 }, batchIds: ["b1", "b2"], gate: { wins: 3, losses: 0 } };
}

function checkpoint(name: string, seed: number, extra: Partial<CheckpointInput> = {}): CheckpointInput {
  return { name, champion: null, trainer: trainedRecord(name, seed).trainer, state: { seed, window: awkwardNumbers(), note: `cp${seed}` }, ...extra };
}

/** The fields a store must return exactly as written. */
function sameCheckpoint(actual: CheckpointRecord | null, expected: CheckpointInput, sequence: number, what: string): void {
  if (actual === null) fail(`${what}: getCheckpoint returned null`);
  same(
    { name: actual.name, champion: actual.champion, trainer: actual.trainer, state: actual.state, sequence: actual.sequence },
    { name: expected.name, champion: expected.champion, trainer: expected.trainer, state: expected.state, sequence },
    what,
  );
}

/**
 * The checks every {@link ModelStore} must pass — the built-in memory, file
 * and PostgreSQL stores, and yours (a database-backed store, say). Each check
 * makes its own fresh store. A store with a run history
 * ({@link ModelStore.runHistory}) is also held to `runHistoryChecks`, through
 * `store.runHistory({ keepRuns })`, and to the history living beside the
 * versions; for a store without one those checks pass without asserting.
 *
 * @example With vitest
 * ```ts
 * import { it } from "vitest";
 * import { MemoryModelStore } from "freshml";
 * import { storeChecks } from "freshml/testing";
 * for (const check of storeChecks({ make: () => new MemoryModelStore() })) it(check.name, () => check.run());
 * ```
 */
export function storeChecks(options: StoreCheckOptions): AsyncConformanceCheck[] {
  const { make, label = "store", watchTimeoutMs = 10_000 } = options;
  const c = (name: string, run: (s: ModelStore) => Promise<void>): AsyncConformanceCheck => ({
    name: `${label}: ${name}`,
    run: async () => run(await make()),
  });
  type Watch = (name: string, alias: string) => ReturnType<typeof watchInto>;
  const watched = (name: string, run: (s: WatchableModelStore, watch: Watch) => Promise<void>): AsyncConformanceCheck =>
    c(name, async (s) => {
      if (!supportsWatch(s)) fail("the store has no watch method (storeChecks was given watch: true)");
      const opened: ReturnType<typeof watchInto>[] = [];
      try {
        await run(s, (n, a) => {
          const w = watchInto(s, n, a);
          opened.push(w);
          return w;
        });
      } finally {
        // Closed even when the check fails: a watcher left open would keep the process alive.
        await Promise.all(opened.map((w) => w.watcher.close().catch(() => undefined)));
      }
    });
  const watchChecks = !options.watch
    ? []
    : [
        watched("watch reports every move once, in order (setAlias, putAndAlias, rollback), not the starting position nor other aliases or models", async (s, watch) => {
          for (let i = 1; i <= 3; i++) await s.put(trainedRecord("m", i));
          await s.put(trainedRecord("other", 1));
          await s.setAlias("m", "champion", 1);
          const w = watch("m", "champion");
          await w.watcher.ready;
          // Back to back, without waiting for the watcher: each move must still be reported.
          await s.setAlias("m", "champion", 2);
          const v4 = await s.putAndAlias(trainedRecord("m", 4), "champion");
          await s.setAlias("m", "staging", 1);
          await s.setAlias("other", "champion", 1);
          eq(await s.rollback("m", "champion"), 2, "rollback");
          await s.setAlias("m", "champion", 3);
          await s.setAlias("m", "champion", 3); // a move to where it is is still a move
          await w.until((seen) => seen.length >= 5, watchTimeoutMs);
          eq(w.seen.map((x) => [x.name, x.alias, x.version]), [2, v4, 2, 3, 3].map((v) => ["m", "champion", v]), "changes");
          await w.watcher.close();
        }),
        watched("a closed watcher reports nothing more; another watcher of the same alias goes on", async (s, watch) => {
          for (let i = 1; i <= 2; i++) await s.put(trainedRecord("m", i));
          const a = watch("m", "champion");
          const b = watch("m", "champion");
          await Promise.all([a.watcher.ready, b.watcher.ready]);
          await s.setAlias("m", "champion", 1);
          await Promise.all([a.until((seen) => seen.length >= 1, watchTimeoutMs), b.until((seen) => seen.length >= 1, watchTimeoutMs)]);
          await a.watcher.close();
          await s.setAlias("m", "champion", 2);
          await b.until((seen) => seen.length >= 2, watchTimeoutMs);
          eq(a.seen.map((x) => x.version), [1], "the closed watcher's changes");
          eq(b.seen.map((x) => x.version), [1, 2], "the open watcher's changes");
          await b.watcher.close();
        }),
      ];
  const withHistory = async (): Promise<ModelStore | null> => {
    const s = await make();
    return typeof s.runHistory === "function" ? s : null;
  };
  const historyChecks: AsyncConformanceCheck[] = runHistoryChecks({
    label: `${label}: run history`,
    make: async (keepRuns) => {
      const s = await withHistory();
      return s ? s.runHistory!({ keepRuns }) : null!;
    },
  }).map((check) => ({
    name: check.name,
    run: async () => {
      if (!(await withHistory())) return;
      await check.run();
    },
  }));
  return [
    ...watchChecks,
    ...historyChecks,
    c("run history lives beside the versions: every runHistory() call sees the same runs; versions, prune and checkpoints ignore them", async (store) => {
      if (typeof store.runHistory !== "function") return;
      const a = store.runHistory();
      const b = store.runHistory({ keepRuns: 5 });
      const id = await a.put(summarizeRun(sampleReport("m", 20)));
      eq(id, "m:1", "first run id");
      eq((await b.list("m")).map((r) => r.id), ["m:1"], "runs seen through another runHistory()");
      eq((await b.get(id)).batches.total, 20, "the run read through another runHistory()");
      eq((await store.list("m")).versions, [], "versions after a run was recorded");
      eq(await store.put(trainedRecord("m", 1)), 1, "first version after a run");
      await store.putCheckpoint(checkpoint("m", 1));
      eq(await store.prune("m", { keep: 0 }), [1], "prune deletes the version");
      eq((await a.list("m")).map((r) => r.id), ["m:1"], "runs after prune");
      eq(await b.put(summarizeRun(sampleReport("m", 3))), "m:2", "second run id");
      await rejectsWith(a.get("m:3"), "not_found", "a run never written");
    }),
    c("versions count 1, 2, 3 per model name, independently", async (s) => {
      eq([await s.put(trainedRecord("a", 1)), await s.put(trainedRecord("a", 2)), await s.put(trainedRecord("b", 3)), await s.put(trainedRecord("a", 4))], [1, 2, 1, 3], "versions");
    }),
    c("a stored record round-trips: same fields, bit-identical predictions", async (s) => {
      const input = trainedRecord("m", 2, { parent: null, tags: { team: "ml", "ünïcode": "✓" } });
      const v = await s.put(input);
      const r = await s.get("m", v);
      eq([r.name, r.version, r.parent, r.metrics, r.data, r.tags], ["m", 1, null, input.metrics, input.data, input.tags], "record");
      if (typeof r.createdAt !== "string" || Number.isNaN(Date.parse(r.createdAt))) fail(`createdAt ${r.createdAt} is not a time`);
      if (typeof r.libraryVersion !== "string" || r.libraryVersion.length === 0) fail("libraryVersion missing");
      const original = restoreTrainer(input.trainer);
      const back = restoreTrainer(r.trainer);
      const X = [[0.5], [7], [-3]];
      const a = original.predict(X);
      const b = back.predict(X);
      for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) fail(`prediction ${i} differs after a store round trip`);
    }),
    c("stored versions are immutable: mutating inputs or outputs changes nothing", async (s) => {
      const input = trainedRecord("m", 1);
      await s.put(input);
      (input.metrics as Record<string, number>).rmse = 999;
      (input.trainer.params as Record<string, unknown>).l2 = 5;
      const r = await s.get("m", 1);
      r.metrics.rmse = 123;
      const again = await s.get("m", 1);
      eq([again.metrics.rmse, again.trainer.params.l2], [0.1, 0.1], "stored values");
    }),
    c("get of a missing version or alias is not_found", async (s) => {
      await rejectsWith(s.get("m", 1), "not_found", "missing model");
      await s.put(trainedRecord("m", 1));
      await rejectsWith(s.get("m", 2), "not_found", "missing version");
      await rejectsWith(s.get("m", "champion"), "not_found", "missing alias");
      if ((await s.resolveAlias("m", "champion")) !== null) fail("an unset alias resolves to a version");
    }),
    c("unsafe names are invalid_name, and nothing is written", async (s) => {
      for (const bad of ["../x", "a/b", "a\\b", "..", ".hidden", "", "a\u0000b", "x".repeat(129), "line\nbreak"]) {
        await rejectsWith(s.put(trainedRecord(bad, 1)), "invalid_name", `name ${JSON.stringify(bad)}`);
      }
      await s.put(trainedRecord("ok", 1));
      await rejectsWith(s.setAlias("ok", "../champion", 1), "invalid_name", "alias with a path");
      eq((await s.list("ok")).versions.length, 1, "versions after rejected names");
    }),
    c("list pages newest first with a cursor", async (s) => {
      for (let i = 1; i <= 7; i++) await s.put(trainedRecord("m", i));
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.list("m", { limit: 3, ...(cursor ? { cursor } : {}) });
        if (page.versions.length > 3) fail("a page is longer than its limit");
        seen.push(...page.versions.map((v) => v.version));
        if (page.versions.some((v) => "trainer" in v)) fail("list returned learned state");
        cursor = page.nextCursor;
      } while (cursor);
      eq(seen, [7, 6, 5, 4, 3, 2, 1], "listed versions");
      eq((await s.list("nobody")).versions, [], "an unknown model lists nothing");
    }),
    c("aliases move, keep their history, and setAlias needs an existing version", async (s) => {
      for (let i = 1; i <= 3; i++) await s.put(trainedRecord("m", i));
      await s.setAlias("m", "champion", 1);
      await s.setAlias("m", "champion", 3);
      await s.setAlias("m", "staging", 2);
      eq(await s.resolveAlias("m", "champion"), 3, "champion");
      eq((await s.get("m", "champion")).version, 3, "get by alias");
      const h = await s.aliasHistory("m", "champion");
      eq(h.map((e) => [e.version, e.previous, e.action]), [[1, null, "set"], [3, 1, "set"]], "history");
      await rejectsWith(s.setAlias("m", "champion", 9), "not_found", "alias to a missing version");
      eq(await s.resolveAlias("m", "champion"), 3, "champion after a rejected move");
    }),
    c("rollback after three promotions returns the previous champions in order", async (s) => {
      for (let i = 1; i <= 3; i++) {
        await s.put(trainedRecord("m", i));
        await s.setAlias("m", "champion", i);
      }
      eq([await s.rollback("m", "champion"), await s.rollback("m", "champion")], [2, 1], "rollbacks");
      eq(await s.resolveAlias("m", "champion"), 1, "champion");
      await rejectsWith(s.rollback("m", "champion"), "nothing_to_roll_back", "rollback past the first");
      // A new promotion after rollbacks starts a new step to undo.
      await s.setAlias("m", "champion", 3);
      eq(await s.rollback("m", "champion"), 1, "rollback after a new promotion");
      eq((await s.aliasHistory("m", "champion")).map((e) => e.action), ["set", "set", "set", "rollback", "rollback", "set", "rollback"], "actions");
    }),
    c("prune keeps the newest and every aliased version; rollback skips pruned ones", async (s) => {
      for (let i = 1; i <= 6; i++) await s.put(trainedRecord("m", i));
      await s.setAlias("m", "champion", 1);
      await s.setAlias("m", "champion", 2);
      await s.setAlias("m", "champion", 3);
      eq(await s.prune("m", { keep: 2 }), [1, 2, 4], "pruned");
      eq((await s.list("m")).versions.map((v) => v.version), [6, 5, 3], "left");
      await rejectsWith(s.get("m", 2), "not_found", "a pruned version");
      await rejectsWith(s.rollback("m", "champion"), "nothing_to_roll_back", "rollback onto pruned versions");
      const v7 = await s.put(trainedRecord("m", 7));
      eq(v7, 7, "numbers are never reused after a prune");
    }),
    c("numbers are never reused after prune deletes the newest versions (keep: 0, nothing aliased)", async (s) => {
      eq([await s.put(trainedRecord("m", 1)), await s.put(trainedRecord("m", 2)), await s.put(trainedRecord("m", 3))], [1, 2, 3], "versions");
      eq(await s.prune("m", { keep: 0 }), [1, 2, 3], "pruned");
      eq((await s.list("m")).versions, [], "versions left");
      eq(await s.put(trainedRecord("m", 4)), 4, "version after pruning everything");
      await rejectsWith(s.get("m", 1), "not_found", "a pruned version");
      // The newest deleted while an older one is aliased: the same rule.
      await s.setAlias("m", "champion", 4);
      eq([await s.put(trainedRecord("m", 5)), await s.put(trainedRecord("m", 6))], [5, 6], "more versions");
      eq(await s.prune("m", { keep: 0 }), [5, 6], "pruned around the alias");
      eq(await s.put(trainedRecord("m", 7)), 7, "version after pruning the newest two");
      eq((await s.get("m", 7)).data.fingerprint, "fp7", "the new version's record");
      eq(await s.put(trainedRecord("other", 1)), 1, "another name still starts at 1");
    }),
    c("concurrent puts get distinct versions", async (s) => {
      const versions = await Promise.all(Array.from({ length: 20 }, (_, i) => s.put(trainedRecord("m", i))));
      eq([...versions].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1), "versions");
      const all = await Promise.all(versions.map((v) => s.get("m", v)));
      eq(new Set(all.map((r) => r.data.fingerprint)).size, 20, "distinct records");
    }),
    c("a record that does not validate is rejected and nothing is stored", async (s) => {
      const bad = { ...trainedRecord("m", 1), metrics: { rmse: Number.NaN } };
      await rejectsWith(s.put(bad), "invalid_params", "NaN metric");
      await rejectsWith(s.put({ ...trainedRecord("m", 1), trainer: { kind: "X" } as never }), "invalid_params", "not a trainer envelope");
      eq((await s.list("m")).versions.length, 0, "versions");
    }),
    c("preprocessing and learningState round-trip exactly (−0, 1e-300, 0.1 + 0.2, 1,000 numbers, nesting); summaries omit them", async (s) => {
      const preprocessing = awkwardPreprocessing();
      const learningState = awkwardLearningState();
      const v = await s.put(trainedRecord("m", 1, { preprocessing, learningState }));
      const r = await s.get("m", v);
      same(r.preprocessing, awkwardPreprocessing(), "preprocessing");
      same(r.learningState, awkwardLearningState(), "learningState");
      // Stored by value: changing what was given or what came back changes nothing.
      (preprocessing.scale as number[])[0] = 99;
      (r.learningState as { window: number[] }).window[1] = 99;
      const again = await s.get("m", v);
      same(again.preprocessing, awkwardPreprocessing(), "preprocessing after mutations");
      same(again.learningState, awkwardLearningState(), "learningState after mutations");
      const [summary] = (await s.list("m")).versions;
      if (!summary) fail("list lost the version");
      for (const k of ["trainer", "preprocessing", "learningState"]) if (k in summary) fail(`a list summary holds ${k}`);
    }),
    c("a record without preprocessing or learningState reads back without those keys", async (s) => {
      const v1 = await s.put(trainedRecord("m", 1));
      const v2 = await s.put({ ...trainedRecord("m", 2), preprocessing: undefined, learningState: undefined });
      for (const v of [v1, v2]) {
        const r = await s.get("m", v);
        for (const k of ["preprocessing", "learningState"]) if (k in r) fail(`version ${v} gained a ${k} key (${describe((r as never)[k])})`);
      }
      const v3 = await s.put(trainedRecord("m", 3, { preprocessing: null, learningState: { n: 0 } }));
      const r3 = await s.get("m", v3);
      same([r3.preprocessing, r3.learningState], [null, { n: 0 }], "null and small values");
    }),
    c("getCheckpoint is null before any checkpoint is written, even with versions", async (s) => {
      eq(await s.getCheckpoint("m"), null, "checkpoint of an unknown model");
      await s.put(trainedRecord("m", 1));
      eq(await s.getCheckpoint("m"), null, "checkpoint of a model with versions only");
    }),
    c("a checkpoint round-trips exactly, with sequence 1, a time and the library version", async (s) => {
      const input = checkpoint("m", 1);
      await s.putCheckpoint(input);
      const r = await s.getCheckpoint("m");
      sameCheckpoint(r, checkpoint("m", 1), 1, "checkpoint");
      if (typeof r!.createdAt !== "string" || Number.isNaN(Date.parse(r!.createdAt))) fail(`createdAt ${r!.createdAt} is not a time`);
      eq(r!.libraryVersion, VERSION, "libraryVersion");
    }),
    c("each checkpoint write replaces the last: the newest comes back, sequence 2, then 3", async (s) => {
      await s.putCheckpoint(checkpoint("m", 1));
      await s.putCheckpoint(checkpoint("m", 2, { champion: 1 }));
      sameCheckpoint(await s.getCheckpoint("m"), checkpoint("m", 2, { champion: 1 }), 2, "after two writes");
      await s.putCheckpoint(checkpoint("m", 3, { champion: 4, state: null }));
      sameCheckpoint(await s.getCheckpoint("m"), checkpoint("m", 3, { champion: 4, state: null }), 3, "after three writes");
    }),
    c("checkpoints are per model name", async (s) => {
      await s.putCheckpoint(checkpoint("a", 1));
      await s.putCheckpoint(checkpoint("b", 2));
      await s.putCheckpoint(checkpoint("a", 3));
      sameCheckpoint(await s.getCheckpoint("a"), checkpoint("a", 3), 2, "a");
      sameCheckpoint(await s.getCheckpoint("b"), checkpoint("b", 2), 1, "b");
      eq(await s.getCheckpoint("c"), null, "c");
    }),
    c("a checkpoint is not a version: never listed, never numbered, untouched by prune; its champion need not exist", async (s) => {
      await s.putCheckpoint(checkpoint("m", 1, { champion: 42 }));
      eq(await s.list("m"), { versions: [], unreadable: [] }, "list with only a checkpoint");
      eq(await s.put(trainedRecord("m", 1)), 1, "first version after a checkpoint");
      await s.putCheckpoint(checkpoint("m", 2, { champion: 1 }));
      eq(await s.put(trainedRecord("m", 2)), 2, "next version after another checkpoint");
      eq((await s.list("m")).versions.map((v) => v.version), [2, 1], "listed versions");
      await s.setAlias("m", "champion", 2);
      eq(await s.prune("m", { keep: 0 }), [1], "pruned");
      sameCheckpoint(await s.getCheckpoint("m"), checkpoint("m", 2, { champion: 1 }), 2, "checkpoint after prune");
      eq(await s.put(trainedRecord("m", 3)), 3, "version after prune");
    }),
    c("unsafe checkpoint names are invalid_name", async (s) => {
      for (const bad of ["../x", "a/b", "..", ".hidden", "", "x".repeat(129), "line\nbreak"]) {
        await rejectsWith(s.putCheckpoint(checkpoint(bad, 1)), "invalid_name", `putCheckpoint ${JSON.stringify(bad)}`);
        await rejectsWith(s.getCheckpoint(bad), "invalid_name", `getCheckpoint ${JSON.stringify(bad)}`);
      }
    }),
    c("a checkpoint that does not validate is invalid_params and the previous one stays", async (s) => {
      await s.putCheckpoint(checkpoint("m", 1, { champion: 3 }));
      const { trainer: _t, ...noTrainer } = checkpoint("m", 2);
      const { state: _s, ...noState } = checkpoint("m", 2);
      const bad: [string, unknown][] = [
        ["champion 0", checkpoint("m", 2, { champion: 0 })],
        ["champion -1", checkpoint("m", 2, { champion: -1 })],
        ["champion 1.5", checkpoint("m", 2, { champion: 1.5 })],
        ["champion as a string", checkpoint("m", 2, { champion: "1" as never })],
        ["no champion", { ...checkpoint("m", 2), champion: undefined }],
        ["no trainer", noTrainer],
        ["not a trainer envelope", checkpoint("m", 2, { trainer: { kind: "X" } as never })],
        ["no state", noState],
      ];
      for (const [what, input] of bad) await rejectsWith(s.putCheckpoint(input as CheckpointInput), "invalid_params", what);
      sameCheckpoint(await s.getCheckpoint("m"), checkpoint("m", 1, { champion: 3 }), 1, "checkpoint after rejected writes");
      await s.putCheckpoint(checkpoint("m", 3));
      eq((await s.getCheckpoint("m"))?.sequence, 2, "sequence after rejected writes (they do not count)");
    }),
    c("checkpoints are stored by value: mutating inputs or outputs changes nothing", async (s) => {
      const input = checkpoint("m", 1);
      await s.putCheckpoint(input);
      (input.state as { window: number[] }).window[0] = 99;
      (input.trainer.params as Record<string, unknown>).l2 = 5;
      const r = await s.getCheckpoint("m");
      (r!.state as { window: number[] }).window[2] = 99;
      (r!.state as { note: string }).note = "changed";
      r!.sequence = 50;
      sameCheckpoint(await s.getCheckpoint("m"), checkpoint("m", 1), 1, "stored checkpoint");
    }),
    c("alias and model names that are Object.prototype keys (constructor, toString, hasOwnProperty, …) are names like any other", async (s) => {
      for (let i = 1; i <= 3; i++) await s.put(trainedRecord("m", i));
      await rejectsWith(s.setAlias("m", "__proto__", 1), "invalid_name", "alias __proto__ (names start with a letter or digit)");
      const names = ["constructor", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf", "toLocaleString"];
      for (const a of names) eq(await s.resolveAlias("m", a), null, `unset alias ${a}`);
      for (const a of names) await rejectsWith(s.get("m", a), "not_found", `get of unset alias ${a}`);
      for (const [i, a] of names.entries()) {
        await s.setAlias("m", a, 1 + (i % 3));
        await s.setAlias("m", a, 1 + ((i + 1) % 3));
      }
      for (const [i, a] of names.entries()) {
        eq(await s.resolveAlias("m", a), 1 + ((i + 1) % 3), `alias ${a}`);
        eq((await s.get("m", a)).version, 1 + ((i + 1) % 3), `get by alias ${a}`);
        eq((await s.aliasHistory("m", a)).map((e) => [e.version, e.previous, e.seq]), [[1 + (i % 3), null, 1], [1 + ((i + 1) % 3), 1 + (i % 3), 2]], `history of ${a}`);
      }
      eq(await s.rollback("m", "constructor"), 1, "rollback of constructor");
      // Still readable after all that (the file store once wrote an aliases file it could not read back).
      eq(await s.resolveAlias("m", "toString"), 3, "toString after a rollback of another alias");
      eq(await s.resolveAlias("m", "champion"), null, "an unrelated alias");
      eq(await s.prune("m", { keep: 0 }), [], "prune keeps every aliased version");
      for (const model of ["constructor", "toString"]) {
        eq(await s.list(model), { versions: [], unreadable: [] }, `list of unknown model ${model}`);
        eq(await s.resolveAlias(model, "champion"), null, `alias of unknown model ${model}`);
        eq(await s.getCheckpoint(model), null, `checkpoint of unknown model ${model}`);
        eq(await s.putAndAlias(trainedRecord(model, 1), "constructor"), 1, `first version of ${model}`);
        eq((await s.get(model, "constructor")).version, 1, `get of ${model} by alias`);
      }
    }),
    c("alias events count 1, 2, 3 in seq per alias, rollbacks included; aliases count independently", async (s) => {
      for (let i = 1; i <= 3; i++) await s.put(trainedRecord("m", i));
      await s.setAlias("m", "champion", 1);
      await s.setAlias("m", "staging", 3);
      await s.setAlias("m", "champion", 2);
      await s.rollback("m", "champion");
      await s.setAlias("m", "champion", 3);
      eq((await s.aliasHistory("m", "champion")).map((e) => [e.seq, e.action, e.version]), [[1, "set", 1], [2, "set", 2], [3, "rollback", 1], [4, "set", 3]], "champion");
      eq((await s.aliasHistory("m", "staging")).map((e) => e.seq), [1], "staging");
    }),
    c("putAndAlias stores a version and points the alias at it in one step; a bad record changes nothing", async (s) => {
      eq(await s.putAndAlias(trainedRecord("m", 1), "champion"), 1, "first version");
      eq(await s.putAndAlias(trainedRecord("m", 2, { parent: 1 }), "champion"), 2, "second version");
      eq(await s.resolveAlias("m", "champion"), 2, "champion");
      eq((await s.get("m", "champion")).data.fingerprint, "fp2", "the aliased record");
      eq((await s.aliasHistory("m", "champion")).map((e) => [e.version, e.previous, e.action, e.seq]), [[1, null, "set", 1], [2, 1, "set", 2]], "history");
      await rejectsWith(s.putAndAlias({ ...trainedRecord("m", 3), metrics: { rmse: Number.NaN } }, "champion"), "invalid_params", "a bad record");
      await rejectsWith(s.putAndAlias(trainedRecord("m", 3), "../x"), "invalid_name", "a bad alias");
      eq(await s.resolveAlias("m", "champion"), 2, "champion after rejected calls");
      eq(await s.put(trainedRecord("m", 3)), 3, "numbering after rejected calls");
      // A concurrent prune can never take a version that putAndAlias returned.
      const results = await Promise.all([s.putAndAlias(trainedRecord("m", 4), "champion"), s.prune("m", { keep: 0 }), s.prune("m", { keep: 0 })]);
      eq((await s.get("m", results[0])).version, results[0], "the version putAndAlias returned exists");
      eq(await s.resolveAlias("m", "champion"), results[0], "champion is the new version");
    }),
    c("setAlias to a version pruned meanwhile is not_found, and the alias stays", async (s) => {
      const v1 = await s.put(trainedRecord("m", 1));
      await s.setAlias("m", "champion", v1);
      const v2 = await s.put(trainedRecord("m", 2));
      eq(await s.prune("m", { keep: 0 }), [v2], "pruned");
      await rejectsWith(s.setAlias("m", "champion", v2), "not_found", "alias to a pruned version");
      eq(await s.resolveAlias("m", "champion"), v1, "champion");
      eq((await s.aliasHistory("m", "champion")).length, 1, "history");
    }),
    c("prune({ history }) keeps the newest events per alias; seq goes on counting; rollback walks back within them", async (s) => {
      for (let i = 1; i <= 6; i++) {
        await s.put(trainedRecord("m", i));
        await s.setAlias("m", "champion", i);
      }
      await s.setAlias("m", "staging", 1);
      eq(await s.prune("m", { keep: 10, history: 3 }), [], "nothing deleted");
      eq((await s.aliasHistory("m", "champion")).map((e) => [e.version, e.seq]), [[4, 4], [5, 5], [6, 6]], "champion history");
      eq((await s.aliasHistory("m", "staging")).map((e) => [e.version, e.seq]), [[1, 1]], "staging history");
      await s.setAlias("m", "champion", 2);
      eq((await s.aliasHistory("m", "champion")).map((e) => e.seq), [4, 5, 6, 7], "seq after the trim");
      eq([await s.rollback("m", "champion"), await s.rollback("m", "champion")], [6, 5], "rollbacks");
      await rejectsWith(s.prune("m", { keep: 1, history: 0 }), "invalid_params", "history 0");
    }),
    c("verify reads every version in full: all whole in a fresh store", async (s) => {
      eq(await s.verify("m"), { ok: 0, unreadable: [] }, "an unknown model");
      for (let i = 1; i <= 3; i++) await s.put(trainedRecord("m", i, { learningState: awkwardLearningState() }));
      await s.prune("m", { keep: 2 });
      eq(await s.verify("m"), { ok: 2, unreadable: [] }, "after a prune");
      await rejectsWith(s.verify("../m"), "invalid_name", "a bad name");
    }),
    c("concurrent checkpoint writes are each counted; the last one stored is whole", async (s) => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => s.putCheckpoint(checkpoint("m", i))));
      const r = await s.getCheckpoint("m");
      if (r === null) fail("no checkpoint after concurrent writes");
      eq(r.sequence, 10, "sequence");
      const seed = (r.state as { seed: number }).seed;
      sameCheckpoint(r, checkpoint("m", seed), 10, `checkpoint ${seed}`);
    }),
  ];
}
