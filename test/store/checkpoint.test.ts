import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LinearRegression, MemoryModelStore, type CheckpointInput, type ModelStore } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";
import { VERSION } from "../../src/version.js";

const root = mkdtempSync(join(tmpdir(), "freshml-checkpoint-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function trainer() {
  const m = new LinearRegression();
  m.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
  return m.toJSON();
}

const stores: [string, (now: () => Date) => ModelStore][] = [
  ["MemoryModelStore", (now) => new MemoryModelStore({ now })],
  ["FileModelStore", (now) => new FileModelStore(join(root, `s${n++}`), { now })],
];

describe.each(stores)("%s checkpoints", (_, make) => {
  it("stamp createdAt from the store's clock and the running library's version", async () => {
    let t = Date.parse("2026-11-29T10:00:00Z");
    const store = make(() => new Date(t));
    await store.putCheckpoint({ name: "m", champion: null, trainer: trainer(), state: { a: 1 } });
    t += 60_000;
    await store.putCheckpoint({ name: "m", champion: 1, trainer: trainer(), state: { a: 2 } });
    expect(await store.getCheckpoint("m")).toMatchObject({
      createdAt: "2026-11-29T10:01:00.000Z",
      sequence: 2,
      champion: 1,
      state: { a: 2 },
      libraryVersion: VERSION,
    });
  });

  it("say which field is wrong in invalid_params", async () => {
    const store = make(() => new Date());
    await expect(store.putCheckpoint({ name: "m", champion: 0, trainer: trainer(), state: null })).rejects.toMatchObject({
      code: "invalid_params",
      message: expect.stringMatching(/invalid checkpoint:[\s\S]*champion/),
    });
    await expect(store.putCheckpoint({ name: "m", champion: null, state: null } as unknown as CheckpointInput)).rejects.toMatchObject({
      code: "invalid_params",
      message: expect.stringMatching(/trainer/),
    });
    await expect(store.putCheckpoint({ name: "m", champion: null, trainer: trainer() } as CheckpointInput)).rejects.toMatchObject({
      code: "invalid_params",
      message: expect.stringMatching(/state is required/),
    });
    await expect(store.putCheckpoint({ name: "m", champion: null, trainer: trainer(), state: { f: () => 1 } })).rejects.toMatchObject({
      code: "invalid_params",
    });
    expect(await store.getCheckpoint("m")).toBeNull();
  });

  it("store only the checkpoint's fields: extra keys of the input (a record read back) are not kept", async () => {
    const store = make(() => new Date());
    await store.putCheckpoint({ name: "m", champion: null, trainer: trainer(), state: 1 });
    const read = (await store.getCheckpoint("m"))!;
    await store.putCheckpoint({ ...read, extra: true } as CheckpointInput);
    const again = (await store.getCheckpoint("m"))!;
    expect(Object.keys(again).sort()).toEqual(["champion", "createdAt", "libraryVersion", "name", "sequence", "state", "trainer"]);
    expect(again.sequence).toBe(2); // the store's count, not the input's
  });
});
