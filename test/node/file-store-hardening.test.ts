import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LinearRegression } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";

const root = mkdtempSync(join(tmpdir(), "freshml-hardening-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (options: ConstructorParameters<typeof FileModelStore>[1] = {}): FileModelStore => new FileModelStore(join(root, `s${n++}`), options);
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

function trainer() {
  const m = new LinearRegression();
  m.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
  return m.toJSON();
}
const put = (s: FileModelStore, name = "m"): Promise<number> => s.put({ name, trainer: trainer() });
const deadPid = (): number => spawnSync(process.execPath, ["-e", ""]).pid!;
const temps = (dir: string): string[] => readdirSync(dir).filter((f) => f.includes(".tmp-"));

/** aliases.json exactly as freshml ≤ 0.1.0 wrote it (formatVersion 1, whole history), from the same objects. */
function legacyAliases(aliases: Record<string, unknown>, history: unknown[]): string {
  const body = { aliases, history };
  return `${JSON.stringify({ format: "freshml.aliases", formatVersion: 1, sha256: sha256(JSON.stringify(body)), ...body })}\n`;
}

describe("FileModelStore aliases: Object.prototype names (issue 10, item 4)", () => {
  it("reads an aliases.json that the old version wrote for 'constructor', 'toString' and '__proto__' (previous dropped or {})", async () => {
    const s = fresh();
    for (let i = 0; i < 3; i++) await put(s);
    // What the old code did: `previous = aliases[alias] ?? null` was Object's own function (dropped by
    // JSON.stringify) for constructor/toString, and Object.prototype ({} in JSON) for __proto__, whose
    // assignment was ignored: the file was written with a matching checksum, then refused for good.
    const aliases = JSON.parse('{"champion":2,"constructor":3,"toString":1}') as Record<string, unknown>;
    const history = [
      { alias: "champion", version: 1, previous: null, action: "set", at: "2026-01-01T00:00:00.000Z" },
      { alias: "constructor", version: 3, action: "set", at: "2026-01-01T00:00:01.000Z" },
      { alias: "toString", version: 1, action: "set", at: "2026-01-01T00:00:02.000Z" },
      { alias: "__proto__", version: 2, previous: {}, action: "set", at: "2026-01-01T00:00:03.000Z" },
      { alias: "champion", version: 2, previous: 1, action: "set", at: "2026-01-01T00:00:04.000Z" },
    ];
    writeFileSync(join(s.root, "m", "aliases.json"), legacyAliases(aliases, history));
    const again = new FileModelStore(s.root);
    expect(await again.resolveAlias("m", "constructor")).toBe(3);
    expect(await again.resolveAlias("m", "toString")).toBe(1);
    expect(await again.resolveAlias("m", "champion")).toBe(2);
    expect(await again.resolveAlias("m", "valueOf")).toBeNull();
    expect((await again.aliasHistory("m", "constructor")).map((e) => [e.version, e.previous, e.seq])).toEqual([[3, null, 1]]);
    expect((await again.aliasHistory("m", "champion")).map((e) => [e.version, e.previous, e.seq])).toEqual([[1, null, 1], [2, 1, 2]]);
    expect(await again.rollback("m", "champion")).toBe(1);
    // A move appends to the log; the old file stays the snapshot it continues until the log is folded in.
    await again.setAlias("m", "constructor", 2);
    expect((await new FileModelStore(s.root).aliasHistory("m", "constructor")).map((e) => e.seq)).toEqual([1, 2]);
    await again.prune("m", { keep: 10 }); // folds the log into a snapshot of the new format
    const head = JSON.parse(readFileSync(join(s.root, "m", "aliases.json"), "utf8").split("\n")[0]!) as { formatVersion: number };
    expect(head.formatVersion).toBe(2);
    expect(await new FileModelStore(s.root).resolveAlias("m", "constructor")).toBe(2);
    expect(await new FileModelStore(s.root).resolveAlias("m", "champion")).toBe(1);
  });

  it("a tampered old aliases.json is still checksum_mismatch naming the file", async () => {
    const s = fresh();
    await put(s);
    const file = join(s.root, "m", "aliases.json");
    writeFileSync(file, legacyAliases({ champion: 1 }, [{ alias: "champion", version: 1, previous: null, action: "set", at: "x" }]).replace('"champion":1}', '"champion":2}'));
    await expect(s.resolveAlias("m", "champion")).rejects.toMatchObject({ code: "checksum_mismatch", details: { file } });
  });
});

describe("FileModelStore alias log (issue 10, item 10)", () => {
  it("a move appends one line to aliases.log; the snapshot is rewritten only every 100 events", async () => {
    const s = fresh();
    const v = await put(s);
    const dir = join(s.root, "m");
    await s.setAlias("m", "champion", v);
    expect(readdirSync(dir)).not.toContain("aliases.json");
    const log = join(dir, "aliases.log");
    expect(readFileSync(log, "utf8").split("\n").length).toBe(3); // header, one event, ""
    for (let i = 0; i < 98; i++) await s.setAlias("m", "champion", v);
    expect(readFileSync(log, "utf8").split("\n").length).toBe(101);
    await s.setAlias("m", "champion", v); // the 100th event: folded into the snapshot
    expect(readFileSync(log, "utf8").split("\n").length).toBe(2);
    const snapshotTime = statSync(join(dir, "aliases.json")).mtimeMs;
    expect((await s.aliasHistory("m", "champion")).length).toBe(100);
    await s.setAlias("m", "champion", v);
    expect(statSync(join(dir, "aliases.json")).mtimeMs).toBe(snapshotTime);
    expect((await new FileModelStore(s.root).aliasHistory("m", "champion")).map((e) => e.seq).slice(-2)).toEqual([100, 101]);
  });

  it("keeps aliasHistoryLimit events per alias across compactions and restarts; seq counts every move", async () => {
    const s = fresh({ aliasHistoryLimit: 7, fsync: false });
    const [a, b] = [await put(s), await put(s)];
    for (let i = 0; i < 250; i++) await s.setAlias("m", i % 2 ? "champion" : "staging", i % 3 ? a : b);
    for (const store of [s, new FileModelStore(s.root, { aliasHistoryLimit: 7 })]) {
      const h = await store.aliasHistory("m", "champion");
      expect(h.map((e) => e.seq)).toEqual([119, 120, 121, 122, 123, 124, 125]);
      expect((await store.aliasHistory("m", "staging")).length).toBe(7);
    }
    // A store opened with a smaller limit shows fewer; a larger one cannot bring trimmed events back.
    expect((await new FileModelStore(s.root, { aliasHistoryLimit: 3 }).aliasHistory("m", "champion")).map((e) => e.seq)).toEqual([123, 124, 125]);
    expect((await new FileModelStore(s.root, { aliasHistoryLimit: 50 }).aliasHistory("m", "champion")).length).toBeLessThanOrEqual(7 + 99);
    expect(() => new FileModelStore(s.root, { aliasHistoryLimit: 0 })).toThrow(expect.objectContaining({ code: "invalid_params" }));
  });

  it("ignores a torn last line (a writer killed mid-append) and the next writer cuts it off", async () => {
    const s = fresh();
    const v = await put(s);
    await s.setAlias("m", "champion", v);
    const log = join(s.root, "m", "aliases.log");
    const whole = readFileSync(log, "utf8");
    appendFileSync(log, whole.split("\n")[1]!.slice(0, 30));
    expect((await s.aliasHistory("m", "champion")).length).toBe(1);
    await s.setAlias("m", "champion", v);
    const text = readFileSync(log, "utf8");
    expect(text.startsWith(whole)).toBe(true);
    expect(text.split("\n").length).toBe(4);
    expect((await new FileModelStore(s.root).aliasHistory("m", "champion")).map((e) => e.seq)).toEqual([1, 2]);
  });

  it("a flipped byte in a whole line, or a missing line, is checksum_mismatch naming aliases.log", async () => {
    const s = fresh();
    const v = await put(s);
    for (let i = 0; i < 3; i++) await s.setAlias("m", "champion", v);
    const log = join(s.root, "m", "aliases.log");
    const good = readFileSync(log, "utf8");
    writeFileSync(log, good.replace('"version":1', '"version":2'));
    await expect(new FileModelStore(s.root).resolveAlias("m", "champion")).rejects.toMatchObject({ code: "checksum_mismatch", details: { file: log } });
    const lines = good.split("\n");
    writeFileSync(log, [lines[0], lines[1], lines[3], ""].join("\n"));
    await expect(new FileModelStore(s.root).resolveAlias("m", "champion")).rejects.toMatchObject({ code: "checksum_mismatch", details: { file: log } });
    // The store writes nothing over evidence it cannot read.
    await expect(s.setAlias("m", "champion", v)).rejects.toMatchObject({ code: "checksum_mismatch" });
  });

  it("a log that does not continue its snapshot (files from different backups) is store_corrupt", async () => {
    const s = fresh();
    const v = await put(s);
    for (let i = 0; i < 100; i++) await s.setAlias("m", "champion", v);
    const oldSnapshot = readFileSync(join(s.root, "m", "aliases.json"));
    for (let i = 0; i < 100; i++) await s.setAlias("m", "champion", v);
    writeFileSync(join(s.root, "m", "aliases.json"), oldSnapshot);
    await expect(new FileModelStore(s.root).resolveAlias("m", "champion")).rejects.toMatchObject({ code: "store_corrupt" });
  });

  it("a crash between writing the snapshot and starting the log over loses nothing", async () => {
    const s = fresh();
    const v = await put(s);
    for (let i = 0; i < 99; i++) await s.setAlias("m", "champion", v);
    const log = join(s.root, "m", "aliases.log");
    const oldLog = readFileSync(log, "utf8");
    await s.setAlias("m", "champion", v); // compaction: snapshot covers 100, the log starts over
    const event100 = readFileSync(log, "utf8"); // header only
    expect(event100.split("\n").length).toBe(2);
    // Put back the old log plus event 100, as if the process died before replacing the log.
    const h = await new FileModelStore(s.root).aliasHistory("m", "champion");
    expect(h.length).toBe(100);
    const json = JSON.stringify({ n: 100, event: h[99] });
    writeFileSync(log, `${oldLog}${sha256(json)} ${json}\n`);
    const again = new FileModelStore(s.root);
    expect((await again.aliasHistory("m", "champion")).map((e) => e.seq).slice(-1)).toEqual([100]);
    await again.setAlias("m", "champion", v);
    expect((await new FileModelStore(s.root).aliasHistory("m", "champion")).map((e) => e.seq).slice(-2)).toEqual([100, 101]);
  });
});

describe("FileModelStore temp files (issue 10, item 11)", () => {
  it("any write removes dead writers' temp files from the model folder, and old ones of live pids; young live ones stay", async () => {
    let now = Date.parse("2026-11-29T00:00:00Z");
    const s = fresh({ now: () => new Date(now), staleTempMs: 60_000 });
    const v = await put(s);
    const dir = join(s.root, "m");
    const dead = deadPid();
    const deadOnes = [`.aliases.json.tmp-${dead}-0000abcd`, `.checkpoint.json.tmp-${dead}-00001111`, `.highest.json.tmp-${dead}-0000beef`, `.aliases.log.tmp-${dead}-00002222`];
    for (const f of deadOnes) writeFileSync(join(dir, f), "partial");
    const live = `.aliases.json.tmp-${process.pid}-0000abcd`;
    const liveOld = `.aliases.json.tmp-${process.pid}-00000001`;
    writeFileSync(join(dir, live), "partial");
    writeFileSync(join(dir, liveOld), "partial");
    utimesSync(join(dir, live), new Date(now), new Date(now));
    utimesSync(join(dir, liveOld), new Date(now - 120_000), new Date(now - 120_000));
    await s.setAlias("m", "champion", v);
    expect(temps(dir).sort()).toEqual([live]);
    now += 61_000;
    await s.setAlias("m", "champion", v);
    expect(temps(dir)).toEqual([]);
  });

  it("a version temp of a dead writer is removed by the first put of a new store object (a restarted process)", async () => {
    const s = fresh();
    await put(s);
    const vdir = join(s.root, "m", "versions");
    writeFileSync(join(vdir, `.v00000002.json.tmp-${deadPid()}-0000abcd`), "partial");
    await put(new FileModelStore(s.root));
    expect(temps(vdir)).toEqual([]);
  });
});

describe("FileModelStore disk faults and hostile layouts (issue 10, item 11)", () => {
  it("aliases.json or the log as a folder is store_corrupt naming it, for reads and writes", async () => {
    const s = fresh();
    const v = await put(s);
    for (const file of ["aliases.json", "aliases.log"]) {
      const path = join(s.root, "m", file);
      rmSync(path, { recursive: true, force: true });
      mkdirSync(path);
      await expect(s.resolveAlias("m", "champion"), file).rejects.toMatchObject({ code: "store_corrupt", details: { path } });
      await expect(s.setAlias("m", "champion", v), file).rejects.toMatchObject({ code: "store_corrupt", details: { path } });
      await expect(s.get("m", "champion"), file).rejects.toMatchObject({ code: "store_corrupt" });
      rmSync(path, { recursive: true });
    }
  });

  it("versions as a file is store_corrupt (ENOTDIR) from list, put and prune; a version file that is a folder is listed as unreadable", async () => {
    const s = fresh();
    await put(s);
    const vdir = join(s.root, "m", "versions");
    mkdirSync(join(vdir, "v00000005.json"));
    const page = await s.list("m");
    expect(page.versions.map((x) => x.version)).toEqual([1]);
    expect(page.unreadable).toEqual([expect.objectContaining({ version: 5, code: "store_corrupt" })]);
    await expect(s.get("m", 5)).rejects.toMatchObject({ code: "store_corrupt" });
    expect((await s.verify("m")).unreadable.map((u) => [u.version, u.code])).toEqual([[5, "store_corrupt"]]);
    const t = fresh();
    mkdirSync(join(t.root, "m"), { recursive: true });
    writeFileSync(join(t.root, "m", "versions"), "not a folder");
    await expect(t.list("m")).rejects.toMatchObject({ code: "store_corrupt", details: { path: join(t.root, "m", "versions"), errno: "ENOTDIR" } });
    await expect(put(t)).rejects.toMatchObject({ code: "store_corrupt" });
    await expect(t.prune("m", { keep: 0 })).rejects.toMatchObject({ code: "store_corrupt" });
  });

  it("a model path that is a file is store_corrupt, not a raw ENOTDIR/EEXIST", async () => {
    const s = fresh();
    mkdirSync(s.root, { recursive: true });
    writeFileSync(join(s.root, "m"), "a file where the model folder belongs");
    await expect(put(s)).rejects.toMatchObject({ code: expect.stringMatching(/^store_(corrupt|io)$/) });
    await expect(s.list("m")).rejects.toMatchObject({ code: "store_corrupt" });
    await expect(s.getCheckpoint("m")).rejects.toMatchObject({ code: "store_corrupt" });
  });
});

describe("FileModelStore list, verify and huge files (issue 10, items 13 and 14)", () => {
  it("list checks headers only; verify reads every version and reports the ones whose learned state is damaged", async () => {
    const s = fresh();
    for (let i = 0; i < 4; i++) await put(s);
    const file = join(s.root, "m", "versions", "v00000002.json");
    const bytes = readFileSync(file);
    const at = bytes.length - 20; // inside the record line (the learned state)
    bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
    writeFileSync(file, bytes);
    expect((await s.list("m")).unreadable).toEqual([]); // documented: the header still checks out
    const report = await s.verify("m");
    expect(report.ok).toBe(3);
    expect(report.unreadable).toEqual([{ version: 2, code: "checksum_mismatch", message: expect.stringContaining(file) }]);
    await expect(s.get("m", 2)).rejects.toMatchObject({ code: "checksum_mismatch" });
  });

  it("a sparse version file over 512 MB: list reads only the header (or reports it), get is too_large, never a raw RangeError", async () => {
    const s = fresh();
    await put(s);
    await put(s);
    const vdir = join(s.root, "m", "versions");
    // v2 keeps its valid header and grows to 600 MB (a hole: no disk used).
    const v2 = join(vdir, "v00000002.json");
    truncateSync(v2, 600 * 1024 * 1024);
    // v3 is a hole from the start: no newline anywhere.
    const v3 = join(vdir, "v00000003.json");
    writeFileSync(v3, "");
    truncateSync(v3, 600 * 1024 * 1024);
    const page = await s.list("m");
    expect(page.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(page.unreadable).toEqual([{ version: 3, code: "checksum_mismatch", message: expect.stringContaining("no header line in its first 16 MiB") }]);
    await expect(s.get("m", 2)).rejects.toMatchObject({ code: "too_large", details: { file: v2, size: 600 * 1024 * 1024 } });
    await expect(s.get("m", 3)).rejects.toMatchObject({ code: "too_large" });
    const report = await s.verify("m");
    expect(report.ok).toBe(1);
    expect(report.unreadable.map((u) => [u.version, u.code])).toEqual([[2, "too_large"], [3, "too_large"]]);
  });

  it("a summary too big for list's header limit is refused at put with too_large, writing nothing", async () => {
    const s = fresh();
    await put(s);
    const big = { name: "m", trainer: trainer(), tags: { blob: "x".repeat(17 * 1024 * 1024) } };
    await expect(s.put(big)).rejects.toMatchObject({ code: "too_large" });
    expect(readdirSync(join(s.root, "m", "versions")).sort()).toEqual(["v00000001.json"]);
    expect(await put(s)).toBe(2);
  });
});
