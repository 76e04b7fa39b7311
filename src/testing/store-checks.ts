import { FreshmlError } from "../core/errors.js";
import { LinearRegression } from "../learners/linear-regression.js";
import { restoreTrainer } from "../learners/registry.js";
import type { ModelRecordInput, ModelStore } from "../store/model-store.js";

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
async function rejectsWith(p: Promise<unknown>, code: string, what: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof FreshmlError && err.code === code) return;
    fail(`${what}: rejected with ${String(err)}, expected FreshmlError ${code}`);
  }
  fail(`${what}: did not reject (expected ${code})`);
}

function trainedRecord(name: string, seed: number, extra: Partial<ModelRecordInput> = {}): ModelRecordInput {
  const m = new LinearRegression({ l2: 0.1 });
  m.update({ X: [[seed], [seed + 1], [seed + 3]], y: [1, 2 + seed, 4] });
  return { name, trainer: m.toJSON(), metrics: { rmse: seed / 10 }, data: { batches: 1, rows: 3, fingerprint: `fp${seed}` }, ...extra };
}

/**
 * The checks every {@link ModelStore} must pass — the built-in memory and file
 * stores, and yours (a database-backed store, say). Each check makes its own
 * fresh store.
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
  const { make, label = "store" } = options;
  const c = (name: string, run: (s: ModelStore) => Promise<void>): AsyncConformanceCheck => ({
    name: `${label}: ${name}`,
    run: async () => run(await make()),
  });
  return [
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
  ];
}
