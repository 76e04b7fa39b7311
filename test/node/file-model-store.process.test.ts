import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";
import { bundledChild } from "../bundle-child.js";

const child = bundledChild(new URL("./store-child.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "freshml-proc-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, [child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve(p.exitCode);
    else p.once("exit", (code) => resolve(code));
  });
}

function ready(p: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = "";
    p.stderr!.on("data", (d) => (err += d));
    p.stdout!.on("data", (d) => {
      if (String(d).includes("ready")) resolve();
    });
    p.once("exit", (code) => reject(new Error(`child exited (${code}) before it was ready: ${err}`)));
  });
}

/** The number in `<dir>/model/highest.json` (the high-water mark), or null without the file. */
function highWater(dir: string): number | null {
  try {
    return (JSON.parse(readFileSync(join(dir, "model", "highest.json"), "utf8")) as { highest: number }).highest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Everything a reader must be able to rely on after any crash. */
async function checkReadable(dir: string): Promise<{ versions: number; champion: number | null; writers: Map<number, string> }> {
  const store = new FileModelStore(dir);
  const versions: number[] = [];
  const writers = new Map<number, string>();
  let cursor: string | undefined;
  do {
    const page = await store.list("model", { limit: 50, ...(cursor ? { cursor } : {}) });
    expect(page.unreadable).toEqual([]);
    versions.push(...page.versions.map((v) => v.version));
    for (const v of page.versions) writers.set(v.version, `${v.tags.writer}:${v.tags.seq}`);
    cursor = page.nextCursor;
  } while (cursor);
  for (const v of versions) expect((await store.get("model", v)).version).toBe(v); // checksum verified on every get
  const champion = await store.resolveAlias("model", "champion");
  if (champion !== null) {
    expect(versions).toContain(champion);
    expect((await store.get("model", "champion")).version).toBe(champion);
  }
  // The high-water mark is written before a version is linked in, so it covers every version on disk.
  expect(highWater(dir) ?? 0).toBeGreaterThanOrEqual(Math.max(0, ...versions));
  return { versions: versions.length, champion, writers };
}

describe("FileModelStore with real processes", () => {
  it("survives SIGKILL at 50 seeded random moments: every listed version loads and champion names one", async () => {
    const dir = join(root, "crash");
    const rng = new SeededRandom(20261126);
    let lastVersions = 0;
    // Every version number seen after any kill, with the record it named then: a number
    // that comes back naming another record was reused (the loop prunes the newest now and then).
    const seen = new Map<number, string>();
    for (let k = 0; k < 50; k++) {
      const p = start(["loop", dir, String(k)]);
      await ready(p);
      await new Promise((r) => setTimeout(r, rng.next() * 40));
      p.kill("SIGKILL");
      await exited(p);
      const { versions, champion, writers } = await checkReadable(dir);
      expect(champion).not.toBeNull();
      expect(versions).toBeGreaterThan(0);
      for (const [v, who] of writers) {
        if (seen.has(v)) expect(`v${v} ${who}`).toBe(`v${v} ${seen.get(v)}`);
        seen.set(v, who);
      }
      lastVersions = versions;
    }
    expect(lastVersions).toBeGreaterThan(0);
    // Some kills landed while the lock was held: those locks were broken at once
    // (the next writer got ready), and are set aside, not deleted.
    const modelDir = join(dir, "model");
    expect(readdirSync(modelDir).filter((n) => n.startsWith("lock.stale-")).length).toBeGreaterThan(0);
    // The next put removes temp files that killed writers left, and takes a number above
    // every version and every alias move there ever was.
    const next = await new FileModelStore(dir).put({ name: "model", trainer: (await new FileModelStore(dir).get("model", "champion")).trainer });
    const history = await new FileModelStore(dir).aliasHistory("model", "champion");
    expect(next).toBeGreaterThan(Math.max(...seen.keys(), ...history.map((e) => e.version)));
    expect(readdirSync(join(modelDir, "versions")).filter((n) => n.includes(".tmp-"))).toEqual([]);
    expect(readdirSync(modelDir).filter((n) => n.startsWith(".highest.json.tmp-"))).toEqual([]);
  }, 240_000);

  it("killed after the high-water mark is written, before version 3 is linked: the next put, in a new process, gets 4", async () => {
    const dir = join(root, "crash-at-link");
    const p = start(["crash-at", dir, "link", "v00000003.json", "1"]);
    await exited(p);
    expect(p.signalCode).toBe("SIGKILL");
    const versionsDir = join(dir, "model", "versions");
    // The state the crash left: versions 1 and 2, the mark at 3, a temp of version 3, a dead owner's lock.
    expect(readdirSync(versionsDir).sort()).toEqual([expect.stringMatching(/^\.v00000003\.json\.tmp-/), "v00000001.json", "v00000002.json"]);
    expect(highWater(dir)).toBe(3);
    expect(readdirSync(join(dir, "model"))).toContain("lock");
    const store = new FileModelStore(dir);
    expect((await store.list("model")).versions.map((v) => v.version)).toEqual([2, 1]);
    const { trainer } = await store.get("model", 2);
    // 3 is burnt (it may have been about to be used); the lock is broken and the temp removed.
    expect(await store.put({ name: "model", trainer })).toBe(4);
    expect(readdirSync(versionsDir).sort()).toEqual(["v00000001.json", "v00000002.json", "v00000004.json"]);
    expect(await store.prune("model", { keep: 0 })).toEqual([1, 2, 4]);
    expect(await new FileModelStore(dir).put({ name: "model", trainer })).toBe(5);
  }, 60_000);

  it("killed before the mark for version 3 is in place: no file names 3, and the next put takes it (it was never handed out)", async () => {
    const dir = join(root, "crash-at-mark");
    const p = start(["crash-at", dir, "rename", "highest.json", "3"]);
    await exited(p);
    expect(p.signalCode).toBe("SIGKILL");
    const modelDir = join(dir, "model");
    expect(highWater(dir)).toBe(2);
    expect(readdirSync(modelDir).filter((n) => n.includes(".tmp-"))).toEqual([expect.stringMatching(/^\.highest\.json\.tmp-/)]);
    expect(readdirSync(join(modelDir, "versions")).sort()).toEqual(["v00000001.json", "v00000002.json"]);
    const store = new FileModelStore(dir);
    expect(await store.put({ name: "model", trainer: (await store.get("model", 2)).trainer })).toBe(3);
    expect(highWater(dir)).toBe(3);
    expect(readdirSync(modelDir).filter((n) => n.includes(".tmp-"))).toEqual([]);
  }, 60_000);

  it("two processes putting 100 versions each at once: 200 distinct versions, none lost or overwritten", async () => {
    const dir = join(root, "concurrent");
    const a = start(["puts", dir, "A", "100"]);
    const b = start(["puts", dir, "B", "100"]);
    expect(await Promise.all([exited(a), exited(b)])).toEqual([0, 0]);
    const store = new FileModelStore(dir);
    const page = await store.list("model", { limit: 1000 });
    expect(page.versions.map((v) => v.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const seen = new Set(page.versions.map((v) => `${v.tags.writer}:${v.tags.seq}`));
    expect(seen.size).toBe(200);
    for (const w of ["A", "B"]) for (let i = 0; i < 100; i++) expect(seen.has(`${w}:${i}`)).toBe(true);
  }, 120_000);

  it("four processes writing 25 checkpoints each at once: sequence 100, and the last write is whole", async () => {
    const dir = join(root, "checkpoints");
    const writers = ["A", "B", "C", "D"];
    const children = writers.map((w) => start(["checkpoints", dir, w, "25"]));
    expect(await Promise.all(children.map(exited))).toEqual([0, 0, 0, 0]);
    const store = new FileModelStore(dir);
    const cp = await store.getCheckpoint("model"); // checksum and zod verified
    expect(cp).not.toBeNull();
    expect(cp!.sequence).toBe(100);
    const state = cp!.state as { writer: string; seq: number; window: number[] };
    expect(writers).toContain(state.writer);
    // The last write of all is some writer's last (each writes in order).
    expect(state.seq).toBe(24);
    expect(cp!.champion).toBe(25);
    // Same formula as store-child's checkpointWindow.
    expect(state.window).toEqual(Array.from({ length: 500 }, (_, i) => Math.sin(state.seq * 1000 + i) / 3));
    expect(readdirSync(join(dir, "model")).filter((f) => f.includes(".tmp-"))).toEqual([]);
    expect(await store.list("model")).toEqual({ versions: [], unreadable: [] });
  }, 120_000);

  it("a flipped byte is checksum_mismatch for that version only, naming the file", async () => {
    const dir = join(root, "tamper");
    const p = start(["puts", dir, "T", "3"]);
    expect(await exited(p)).toBe(0);
    const versionsDir = join(dir, "model", "versions");
    const file = join(versionsDir, readdirSync(versionsDir).sort()[1]!); // version 2
    const bytes = readFileSync(file);
    const at = bytes.length - 40; // inside the learned state
    bytes[at] = bytes[at] === 0x31 ? 0x32 : 0x31;
    writeFileSync(file, bytes);
    const store = new FileModelStore(dir);
    await expect(store.get("model", 2)).rejects.toMatchObject({ code: "checksum_mismatch", details: { file } });
    expect((await store.get("model", 1)).version).toBe(1);
    expect((await store.get("model", 3)).version).toBe(3);
    // A broken header shows in list() as unreadable, and the rest still lists.
    const header = readFileSync(file, "utf8").replace('"rmse":1', '"rmse":7');
    writeFileSync(file, header);
    const page = await store.list("model");
    expect(page.versions.map((v) => v.version)).toEqual([3, 1]);
    expect(page.unreadable).toMatchObject([{ version: 2, code: "checksum_mismatch" }]);
  }, 60_000);
});
