import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";
import { createPipeline, idBatches } from "./fixtures/worker-pipeline-module.js";

const child = fileURLToPath(new URL("./worker-child.ts", import.meta.url));
const dirs: string[] = [];
const dir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "freshml-kill-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts a process hosting a WorkerPipeline over `n` batches on the store at `root`; calls `onLine` with each line it prints. */
function host(root: string, n: number, onLine: (line: string) => void): { proc: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const proc = spawn(process.execPath, ["--import", "tsx", child, root, String(n)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let stderr = "";
  proc.stdout!.on("data", (d) => {
    out += d;
    let nl: number;
    while ((nl = out.indexOf("\n")) >= 0) {
      onLine(out.slice(0, nl));
      out = out.slice(nl + 1);
    }
  });
  proc.stderr!.on("data", (d) => (stderr += d));
  return { proc, exited: new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal, stderr }))) };
}

async function championJSON(store: FileModelStore): Promise<string> {
  return JSON.stringify((await loadModel(store, "model", "champion")).trainer.toJSON());
}

describe("a process hosting a WorkerPipeline, SIGKILLed mid-run (issue 13)", () => {
  it("leaves the store readable, and a run in a new process resumes to the uninterrupted champion", async () => {
    const N = 24;
    const reference = new FileModelStore(dir());
    const uninterrupted = await createPipeline({ store: reference }).runBatches(idBatches(N));
    expect(uninterrupted.batches.accepted).toBe(N);

    const root = dir();
    // Killed without warning once the worker has checkpointed a few batches (the process gets no chance to clean up).
    const first = host(root, N, (line) => {
      if (line === "saved 6") process.kill(first.proc.pid!, "SIGKILL");
    });
    const killed = await first.exited;
    expect(killed.signal, killed.stderr).toBe("SIGKILL");

    // Readable: every version loads (checksums verified), the checkpoint is there.
    const store = new FileModelStore(root);
    const page = await store.list("model", { limit: 100 });
    expect(page.unreadable).toEqual([]);
    expect(page.versions.length).toBeGreaterThan(0);
    for (const v of page.versions) expect((await store.get("model", v.version)).version).toBe(v.version);
    expect(await store.getCheckpoint("model")).not.toBeNull();

    // A new process re-sends every batch: the worker restores from the checkpoint, skips what was learned, learns the rest.
    let summary: { status: string; accepted: number; skipped: number; restored: boolean } | null = null;
    const second = host(root, N, (line) => {
      if (line.startsWith("done ")) summary = JSON.parse(line.slice(5)) as typeof summary;
    });
    const ended = await second.exited;
    expect(ended.code, ended.stderr).toBe(0);
    expect(summary).toMatchObject({ status: "completed", restored: true });
    expect(summary!.skipped).toBeGreaterThanOrEqual(3); // 6 saves: at least 3 batches checkpointed (a promotion is a save too)
    expect(summary!.skipped + summary!.accepted).toBe(N);
    expect(await championJSON(store)).toBe(await championJSON(reference));
  }, 120_000);
});
