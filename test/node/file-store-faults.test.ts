/**
 * Disk faults the test machine cannot make for real (a full disk, a read-only
 * mount): node:fs/promises is wrapped so that writes fail the way the kernel
 * fails them, and the store must answer with typed errors and leave nothing
 * half-written behind.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import type * as FsPromises from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { FreshmlError, LinearRegression } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";

type Fault = "full" | "read-only" | "no-permission" | null;
const state: { fault: Fault } = { fault: null };

function fsError(code: string, syscall: string, path: unknown): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected, ${syscall} '${String(path)}'`), { code, syscall, path: String(path) });
}

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const writeFault = (): string | null => (state.fault === "full" ? "ENOSPC" : state.fault === "read-only" ? "EROFS" : state.fault === "no-permission" ? "EACCES" : null);
  const guardWrite =
    <A extends unknown[], R>(syscall: string, f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const code = writeFault();
      // A full disk still lets you delete and rename; a read-only one does not.
      if (code && (code !== "ENOSPC" || syscall === "mkdir" || syscall === "writeFile")) throw fsError(code, syscall, a[0]);
      return f(...a);
    };
  const open = async (path: string, flags?: string, mode?: number): Promise<FsPromises.FileHandle> => {
    const writing = flags !== undefined && flags !== "r";
    const code = writeFault();
    if (writing && code && code !== "ENOSPC") throw fsError(code, "open", path);
    const fh = await real.open(path, flags, mode);
    if (!writing || code !== "ENOSPC") return fh;
    // A full disk: the file opens, half the data goes in, then ENOSPC.
    const half = (data: string | Uint8Array): Buffer => {
      const b = Buffer.from(data);
      return b.subarray(0, b.length >> 1);
    };
    return new Proxy(fh, {
      get(target, prop, receiver) {
        if (prop === "writeFile" || prop === "write") {
          return async (data: string | Uint8Array) => {
            await target.write(half(data));
            throw fsError("ENOSPC", "write", path);
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === "function" ? (v as (...x: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  return {
    ...real,
    default: real,
    open,
    mkdir: guardWrite("mkdir", real.mkdir),
    writeFile: guardWrite("writeFile", real.writeFile),
    rename: guardWrite("rename", real.rename),
    link: guardWrite("link", real.link),
    unlink: guardWrite("unlink", real.unlink),
    rm: guardWrite("rm", real.rm),
    truncate: guardWrite("truncate", real.truncate),
    readFile: async (...a: Parameters<typeof real.readFile>) => {
      if (state.fault === "no-permission" && String(a[0]).endsWith("checkpoint.json")) throw fsError("EACCES", "open", a[0]);
      return real.readFile(...a);
    },
  };
});

const root = mkdtempSync(join(tmpdir(), "freshml-faults-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  state.fault = null;
});
let n = 0;

function trainer() {
  const m = new LinearRegression();
  m.update({ X: [[0], [1], [2]], y: [1, 3, 5] });
  return m.toJSON();
}
const record = { name: "m", trainer: trainer() };
const checkpoint = { name: "m", champion: 1, trainer: trainer(), state: { n: 1 } };

/** Every file name under the model folder (recursively), temp files included. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).filter((f) => !f.startsWith("lock")).sort();
}

async function stocked(): Promise<FileModelStore> {
  const s = new FileModelStore(join(root, `s${n++}`));
  await s.put(record);
  await s.setAlias("m", "champion", 1);
  await s.putCheckpoint(checkpoint);
  return s;
}

describe("FileModelStore on a full disk", () => {
  it("every write is store_full naming the path; no temp file or torn log line is left; the store works once there is room", async () => {
    const s = await stocked();
    const dir = join(s.root, "m");
    const before = tree(dir);
    const log = readFileSync(join(dir, "aliases.log"), "utf8");
    state.fault = "full";
    for (let i = 0; i < 5; i++) {
      for (const [what, call] of [
        ["put", () => s.put(record)],
        ["putAndAlias", () => s.putAndAlias(record, "champion")],
        ["setAlias", () => s.setAlias("m", "champion", 1)],
        ["putCheckpoint", () => s.putCheckpoint(checkpoint)],
      ] as const) {
        const err = await (call as () => Promise<unknown>)().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, what).toBeInstanceOf(FreshmlError);
        expect(err, what).toMatchObject({ code: "store_full", details: { errno: "ENOSPC", path: expect.stringContaining(dir) } });
      }
    }
    state.fault = null;
    expect(tree(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
    expect(tree(dir)).toEqual(before);
    expect(readFileSync(join(dir, "aliases.log"), "utf8")).toBe(log);
    // Numbers burnt by failed puts are gaps, never reused; everything reads and writes again.
    const v = await s.putAndAlias(record, "champion");
    expect(v).toBeGreaterThan(1);
    expect((await s.get("m", "champion")).version).toBe(v);
    expect((await s.aliasHistory("m", "champion")).map((e) => e.seq)).toEqual([1, 2]);
    expect((await s.getCheckpoint("m"))?.sequence).toBe(1);
    expect(await s.verify("m")).toEqual({ ok: 2, unreadable: [] });
  });
});

describe("FileModelStore on a read-only file system", () => {
  it("writes are store_read_only (never ENOENT … mkdir .lock.new-…); reads work", async () => {
    const s = await stocked();
    state.fault = "read-only";
    for (const [what, call] of [
      ["put", () => s.put(record)],
      ["setAlias", () => s.setAlias("m", "champion", 1)],
      ["rollback", () => s.rollback("m", "champion")],
      ["prune", () => s.prune("m", { keep: 0 })],
      ["putCheckpoint", () => s.putCheckpoint(checkpoint)],
      ["a new model", () => s.put({ ...record, name: "other" })],
    ] as const) {
      const err = (await (call as () => Promise<unknown>)().catch((e: unknown) => e)) as FreshmlError;
      expect(err, what).toBeInstanceOf(FreshmlError);
      expect(err.code, what).toBe("store_read_only");
      expect(err.message, what).not.toMatch(/ENOENT/);
      expect(err.details.errno, what).toBe("EROFS");
    }
    expect((await s.get("m", "champion")).version).toBe(1);
    expect((await s.list("m")).versions.map((v) => v.version)).toEqual([1]);
    expect((await s.aliasHistory("m", "champion")).length).toBe(1);
    expect((await s.getCheckpoint("m"))?.sequence).toBe(1);
  });

  it("EACCES is store_read_only on a write and store_io on a read", async () => {
    const s = await stocked();
    state.fault = "no-permission";
    await expect(s.setAlias("m", "champion", 1)).rejects.toMatchObject({ code: "store_read_only", details: { errno: "EACCES" } });
    await expect(s.getCheckpoint("m")).rejects.toMatchObject({ code: "store_io", details: { errno: "EACCES" } });
  });
});
