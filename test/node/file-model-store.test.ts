import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LinearRegression, SeededRandom, type CheckpointInput } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";

const root = mkdtempSync(join(tmpdir(), "freshml-file-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): FileModelStore => new FileModelStore(join(root, `s${n++}`));
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

function trainer(d = 20) {
  const rng = new SeededRandom(d);
  const X = Array.from({ length: 30 }, () => Array.from({ length: d }, () => rng.nextGaussian()));
  const m = new LinearRegression();
  m.update({ X, y: X.map((r) => r[0]! * 2 + rng.nextGaussian()) });
  return m.toJSON();
}

function checkpoint(extra: Partial<CheckpointInput> = {}): CheckpointInput {
  return { name: "m", champion: 2, trainer: trainer(), state: { window: Array.from({ length: 100 }, (_, i) => i / 7), detector: { n: 3 } }, ...extra };
}

/** 64-bit patterns from a seeded generator, plus the edges; NaNs left out (their payload is not a JS-visible value). */
function everyKindOfDouble(count: number): number[] {
  const rng = new SeededRandom(7);
  const view = new DataView(new ArrayBuffer(8));
  const out = [-0, 0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, Infinity, -Infinity, 0.1 + 0.2, 1e-300];
  while (out.length < count) {
    view.setUint32(0, Math.floor(rng.next() * 2 ** 32));
    view.setUint32(4, Math.floor(rng.next() * 2 ** 32));
    const x = view.getFloat64(0);
    if (!Number.isNaN(x)) out.push(x);
  }
  return out;
}

const bits = (xs: number[]): bigint[] => Array.from(new BigUint64Array(Float64Array.from(xs).buffer));

/** A run of 16 or more numbers written as decimal text (what the f64 codec replaces). */
const DECIMAL_ARRAY = /\[\s*(?:-?[\d.]+(?:e[+-]?\d+)?\s*,\s*){15,}-?[\d.]+(?:e[+-]?\d+)?\s*\]/i;

function flipByte(file: string, at: number): void {
  const bytes = readFileSync(file);
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = bytes[i] === 0x41 ? 0x42 : 0x41;
  writeFileSync(file, bytes);
}

describe("FileModelStore checkpoint file", () => {
  it("is a header line (format, formatVersion, SHA-256 of the body) and a body line with number arrays packed", async () => {
    const store = fresh();
    await store.putCheckpoint(checkpoint());
    const text = readFileSync(join(store.root, "m", "checkpoint.json"), "utf8");
    const [headerLine, body, rest] = text.split("\n");
    expect(rest).toBe("");
    expect(JSON.parse(headerLine!)).toEqual({ format: "freshml.checkpoint", formatVersion: 1, sha256: sha256(body!) });
    expect(text).not.toMatch(DECIMAL_ARRAY);
    expect(text).toContain('"$f64"');
    // Both the trainer's state (20 features) and the pipeline's state hold packed arrays.
    const parsed = JSON.parse(body!) as { trainer: { state: Record<string, unknown> }; state: { window: unknown } };
    expect(parsed.state.window).toEqual({ $f64: expect.any(String) });
    expect(Object.values(parsed.trainer.state).some((v) => typeof v === "object" && v !== null && "$f64" in v)).toBe(true);
    // And it reads back as written.
    expect(await store.getCheckpoint("m")).toMatchObject({ ...checkpoint(), sequence: 1 });
  });

  it("round-trips every bit of its numbers, −0 and ±Infinity included", async () => {
    const store = fresh();
    const xs = everyKindOfDouble(2_000);
    await store.putCheckpoint(checkpoint({ state: { xs, nested: [{ xs: xs.slice(0, 16) }] } }));
    const back = (await store.getCheckpoint("m"))!.state as { xs: number[]; nested: [{ xs: number[] }] };
    expect(bits(back.xs)).toEqual(bits(xs));
    expect(bits(back.nested[0].xs)).toEqual(bits(xs.slice(0, 16)));
    expect(Object.is(back.xs[0], -0)).toBe(true);
  });

  it("a flipped byte (body or header) is checksum_mismatch naming the file", async () => {
    for (const at of [-20, 10]) {
      const store = fresh();
      await store.putCheckpoint(checkpoint());
      const file = join(store.root, "m", "checkpoint.json");
      flipByte(file, at);
      await expect(store.getCheckpoint("m")).rejects.toMatchObject({
        code: "checksum_mismatch",
        message: expect.stringContaining(file),
        details: { file },
      });
    }
  });

  it("a truncated file, a body that fails the zod check, or another model's checkpoint is checksum_mismatch", async () => {
    const store = fresh();
    await store.putCheckpoint(checkpoint());
    const file = join(store.root, "m", "checkpoint.json");
    const good = readFileSync(file, "utf8");

    writeFileSync(file, good.slice(0, good.length - 30));
    await expect(store.getCheckpoint("m")).rejects.toMatchObject({ code: "checksum_mismatch", details: { file } });

    // A matching checksum does not make a bad body valid.
    const body = JSON.parse(good.split("\n")[1]!) as Record<string, unknown>;
    const badBody = JSON.stringify({ ...body, champion: 0 });
    writeFileSync(file, `${JSON.stringify({ format: "freshml.checkpoint", formatVersion: 1, sha256: sha256(badBody) })}\n${badBody}\n`);
    await expect(store.getCheckpoint("m")).rejects.toMatchObject({ code: "checksum_mismatch", message: expect.stringContaining("invalid checkpoint"), details: { file } });

    // A whole, valid file of model m copied under model x.
    await store.putCheckpoint(checkpoint({ name: "x" }));
    const other = join(store.root, "x", "checkpoint.json");
    writeFileSync(other, good);
    await expect(store.getCheckpoint("x")).rejects.toMatchObject({ code: "checksum_mismatch", details: { file: other } });
  });

  it("a write over a corrupted checkpoint is refused and leaves the file as it was", async () => {
    const store = fresh();
    await store.putCheckpoint(checkpoint());
    const file = join(store.root, "m", "checkpoint.json");
    flipByte(file, -20);
    const corrupted = readFileSync(file);
    await expect(store.putCheckpoint(checkpoint())).rejects.toMatchObject({ code: "checksum_mismatch", details: { file } });
    expect(readFileSync(file).equals(corrupted)).toBe(true);
    // Deleting it starts the slot over.
    rmSync(file);
    await store.putCheckpoint(checkpoint());
    expect((await store.getCheckpoint("m"))!.sequence).toBe(1);
  });

  it("lives beside the versions: a version's files and list are unaffected", async () => {
    const store = fresh();
    await store.putCheckpoint(checkpoint());
    await store.put({ name: "m", trainer: trainer() });
    expect(readdirSync(join(store.root, "m")).sort()).toEqual(["checkpoint.json", "highest.json", "versions"]);
    expect(readdirSync(join(store.root, "m", "versions"))).toEqual(["v00000001.json"]);
  });

  it("the next checkpoint write removes temp files of dead writers, not of live ones", async () => {
    const store = fresh();
    await store.putCheckpoint(checkpoint());
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const dir = join(store.root, "m");
    writeFileSync(join(dir, `.checkpoint.json.tmp-${dead}-0000abcd`), "partial");
    writeFileSync(join(dir, `.checkpoint.json.tmp-${process.pid}-0000abcd`), "in progress");
    await store.putCheckpoint(checkpoint());
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([`.checkpoint.json.tmp-${process.pid}-0000abcd`]);
  });
});

describe("FileModelStore version preprocessing and learningState", () => {
  const preprocessing = { fields: ["a", "b"], means: everyKindOfDouble(40) };
  const learningState = { window: everyKindOfDouble(1_000), batchIds: ["b1"] };

  it("are packed (no decimal number arrays), bit-exact, and absent from the header's summary", async () => {
    const store = fresh();
    await store.put({ name: "m", trainer: trainer(), preprocessing, learningState });
    const file = join(store.root, "m", "versions", "v00000001.json");
    const text = readFileSync(file, "utf8");
    expect(text).not.toMatch(DECIMAL_ARRAY);
    const [header, record] = text.split("\n").map((l) => JSON.parse(l || "null") as Record<string, unknown>);
    expect(header!.summary).not.toHaveProperty("preprocessing");
    expect(header!.summary).not.toHaveProperty("learningState");
    expect(record!.learningState).toMatchObject({ window: { $f64: expect.any(String) } });
    const r = await store.get("m", 1);
    expect(bits((r.preprocessing as typeof preprocessing).means)).toEqual(bits(preprocessing.means));
    expect(bits((r.learningState as typeof learningState).window)).toEqual(bits(learningState.window));
    const [summary] = (await store.list("m")).versions;
    expect(summary).not.toHaveProperty("learningState");
    expect(summary).not.toHaveProperty("preprocessing");
  });

  it("are covered by the version's checksum", async () => {
    const store = fresh();
    await store.put({ name: "m", trainer: trainer(), learningState });
    const file = join(store.root, "m", "versions", "v00000001.json");
    const text = readFileSync(file, "utf8");
    const at = text.indexOf('"learningState"') + 40; // inside its packed window
    flipByte(file, at);
    await expect(store.get("m", 1)).rejects.toMatchObject({ code: "checksum_mismatch", details: { file } });
    // list reads only the header, which still checks out.
    expect((await store.list("m")).versions.map((v) => v.version)).toEqual([1]);
  });

  it("version files written before these fields existed still read, without the keys", async () => {
    const store = fresh();
    await store.put({ name: "m", trainer: trainer() });
    const text = readFileSync(join(store.root, "m", "versions", "v00000001.json"), "utf8");
    expect(text).not.toContain("preprocessing");
    expect(text).not.toContain("learningState");
    const r = await store.get("m", 1);
    expect("preprocessing" in r || "learningState" in r).toBe(false);
  });
});

describe("FileModelStore version numbering (highest.json)", () => {
  const put = (store: FileModelStore, name = "m"): Promise<number> => store.put({ name, trainer: trainer(2) });
  const highestFile = (store: FileModelStore, name = "m"): string => join(store.root, name, "highest.json");
  const versionFiles = (store: FileModelStore): string[] => readdirSync(join(store.root, "m", "versions")).sort();
  /** A valid highest.json, as the store writes it. */
  const markText = (name: string, highest: number): string =>
    `${JSON.stringify({ format: "freshml.highest", formatVersion: 1, sha256: sha256(JSON.stringify({ name, highest })), name, highest })}\n`;

  it("is one checksummed line holding the highest number ever allocated", async () => {
    const store = fresh();
    await put(store);
    await put(store);
    expect(readFileSync(highestFile(store), "utf8")).toBe(markText("m", 2));
    await store.prune("m", { keep: 0 });
    expect(readFileSync(highestFile(store), "utf8")).toBe(markText("m", 2)); // prune never lowers it
  });

  it("after prune deletes every version, a new store object on the same folder (a new process's view) continues at 4", async () => {
    const a = fresh();
    expect([await put(a), await put(a), await put(a)]).toEqual([1, 2, 3]);
    expect(await a.prune("m", { keep: 0 })).toEqual([1, 2, 3]);
    expect(versionFiles(a)).toEqual([]);
    const b = new FileModelStore(a.root);
    expect(await put(b)).toBe(4);
    expect((await new FileModelStore(a.root).list("m")).versions.map((v) => v.version)).toEqual([4]);
    // The same when only the newest go (the oldest is aliased).
    await b.setAlias("m", "champion", 4);
    expect([await put(b), await put(b)]).toEqual([5, 6]);
    expect(await b.prune("m", { keep: 0 })).toEqual([5, 6]);
    expect(await put(new FileModelStore(a.root))).toBe(7);
  });

  it("a crash after the mark is written and before the version is linked burns the number; it is never handed out", async () => {
    // The state such a crash leaves (test/node/file-model-store.process.test.ts makes it with a real SIGKILL):
    // the mark at 3, versions 1 and 2, and a dead writer's temp file of version 3.
    const store = fresh();
    await put(store);
    await put(store);
    writeFileSync(highestFile(store), markText("m", 3));
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    writeFileSync(join(store.root, "m", "versions", `.v00000003.json.tmp-${dead}-0000abcd`), "partial");
    expect(await put(new FileModelStore(store.root))).toBe(4);
    expect(versionFiles(store)).toEqual(["v00000001.json", "v00000002.json", "v00000004.json"]);
    await expect(store.get("m", 3)).rejects.toMatchObject({ code: "not_found" });
  });

  it("a crash before the mark is in place leaves the number unallocated; the next put takes it, and removes the dead temp", async () => {
    const store = fresh();
    await put(store);
    await put(store);
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const temp = join(store.root, "m", `.highest.json.tmp-${dead}-0000abcd`);
    writeFileSync(temp, markText("m", 3));
    const live = join(store.root, "m", `.highest.json.tmp-${process.pid}-0000abcd`);
    writeFileSync(live, markText("m", 3));
    expect(await put(new FileModelStore(store.root))).toBe(3);
    expect(readdirSync(join(store.root, "m")).filter((f) => f.includes(".tmp-"))).toEqual([`.highest.json.tmp-${process.pid}-0000abcd`]);
  });

  it("a store from before highest.json derives the mark from its version files, and prune writes it before deleting", async () => {
    const store = fresh();
    for (let i = 0; i < 3; i++) await put(store);
    rmSync(highestFile(store));
    expect(await put(new FileModelStore(store.root))).toBe(4);
    expect(readFileSync(highestFile(store), "utf8")).toBe(markText("m", 4));

    rmSync(highestFile(store));
    expect(await store.prune("m", { keep: 0 })).toEqual([1, 2, 3, 4]);
    expect(readFileSync(highestFile(store), "utf8")).toBe(markText("m", 4));
    expect(await put(new FileModelStore(store.root))).toBe(5);
  });

  it("a store from before highest.json whose newest versions were already pruned takes its alias history into account", async () => {
    const store = fresh();
    for (let i = 0; i < 3; i++) await put(store);
    await store.setAlias("m", "champion", 3);
    await store.setAlias("m", "champion", 1);
    // What the old prune({ keep: 0 }) left: version 1 (aliased), no mark.
    rmSync(highestFile(store));
    unlinkSync(join(store.root, "m", "versions", "v00000002.json"));
    unlinkSync(join(store.root, "m", "versions", "v00000003.json"));
    // Files alone would say 2; the history names 3.
    expect(await put(new FileModelStore(store.root))).toBe(4);
  });

  it("deriving the mark reads the alias history, so then an unreadable aliases.json fails the put; with a mark it does not matter", async () => {
    const store = fresh();
    await put(store);
    await store.setAlias("m", "champion", 1);
    const aliases = join(store.root, "m", "aliases.log");
    flipByte(aliases, -10);
    expect(await put(store)).toBe(2); // the mark exists: aliases are not read
    rmSync(highestFile(store));
    await expect(put(store)).rejects.toMatchObject({ code: "checksum_mismatch", details: { file: aliases } });
    expect(versionFiles(store)).toEqual(["v00000001.json", "v00000002.json"]);
  });

  it("a valid mark below the newest version file (restored from an old backup, say) is raised: max of the two", async () => {
    const store = fresh();
    for (let i = 0; i < 3; i++) await put(store);
    writeFileSync(highestFile(store), markText("m", 1));
    expect(await put(store)).toBe(4);
    writeFileSync(highestFile(store), markText("m", 1));
    expect(await store.prune("m", { keep: 0 })).toEqual([1, 2, 3, 4]);
    expect(readFileSync(highestFile(store), "utf8")).toBe(markText("m", 4));
    expect(await put(store)).toBe(5);
  });

  it("a corrupted mark makes put and prune fail with checksum_mismatch naming the file; nothing is written or deleted; reads still work", async () => {
    const good = markText("m", 5);
    const corruptions: [string, string][] = [
      ["a flipped byte", good.replace('"highest":5', '"highest":1')],
      ["truncated", good.slice(0, 40)],
      ["not JSON", "garbage\n"],
      ["a schema failure with a matching checksum", good.replace('"highest":5', '"highest":0').replace(sha256(JSON.stringify({ name: "m", highest: 5 })), sha256(JSON.stringify({ name: "m", highest: 0 })))],
      ["another model's mark", markText("x", 9)],
    ];
    for (const [what, text] of corruptions) {
      const store = fresh();
      for (let i = 0; i < 3; i++) await put(store);
      const file = highestFile(store);
      writeFileSync(file, text);
      await expect(put(store), what).rejects.toMatchObject({ code: "checksum_mismatch", message: expect.stringContaining(file), details: { file } });
      await expect(store.prune("m", { keep: 0 }), what).rejects.toMatchObject({ code: "checksum_mismatch", details: { file } });
      expect(readFileSync(file, "utf8"), what).toBe(text);
      expect(versionFiles(store), what).toEqual(["v00000001.json", "v00000002.json", "v00000003.json"]);
      expect((await store.list("m")).versions.map((v) => v.version), what).toEqual([3, 2, 1]);
      expect((await store.get("m", 2)).version, what).toBe(2);
      // Deleting it derives the mark again from the files (and alias history).
      rmSync(file);
      expect(await put(store), what).toBe(4);
    }
  });

  it("is per model name", async () => {
    const store = fresh();
    await put(store, "a");
    await put(store, "a");
    await store.prune("a", { keep: 0 });
    expect(await put(store, "b")).toBe(1);
    expect(await put(store, "a")).toBe(3);
  });
});
