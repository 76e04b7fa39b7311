import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";
import { compareIds } from "../../src/redis/client.js";
import { bundledChild } from "../bundle-child.js";
import { sequentialFit, stateDifference, type Row } from "./helpers.js";
import { redisSuitesEnabled, startRedisServer, type RedisServer, type TestRedisClient } from "./redis-server.js";

const PRODUCERS = 3;
const ROWS_PER_PRODUCER = 10_000;
const KILLS = 20;
const BATCH = 100;

/** A child process with its stdout as lines. */
interface Child {
  proc: ChildProcess;
  lines: string[];
  /** Resolves at the first line for which `match` holds (the count of such lines so far reaching `nth`). */
  waitFor(match: (line: string) => boolean, nth?: number): Promise<void>;
  exited: Promise<number | string | null>;
}

function startChild(script: string, args: string[], stderr: string[]): Child {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: Array<{ match: (l: string) => boolean; nth: number; seen: number; resolve: () => void }> = [];
  let tail = "";
  proc.stdout!.on("data", (d) => {
    const parts = (tail + String(d)).split("\n");
    tail = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters) if (w.match(line) && ++w.seen === w.nth) w.resolve();
    }
  });
  proc.stderr!.on("data", (d) => stderr.push(String(d)));
  const exited = new Promise<number | string | null>((resolve) => proc.once("exit", (code, signal) => resolve(code ?? signal)));
  return {
    proc,
    lines,
    exited,
    waitFor: (match, nth = 1) =>
      new Promise<void>((resolve) => {
        const seen = lines.filter(match).length;
        if (seen >= nth) return resolve();
        waiters.push({ match, nth, seen, resolve });
      }),
  };
}

describe.runIf(redisSuitesEnabled("Redis source with real processes"))("Redis Streams source with real processes", () => {
  let server: RedisServer;
  let client: TestRedisClient;
  let dir: string;
  let script: string;
  beforeAll(async () => {
    server = await startRedisServer();
    client = await server.client();
    dir = mkdtempSync(join(tmpdir(), "freshml-redis-proc-"));
    // A bundled child starts in a fraction of tsx's time, so twenty restarts fit in the test's budget on a loaded machine.
    script = bundledChild(new URL("./redis-child.ts", import.meta.url));
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`3 producers × 10,000 rows; the consumer SIGKILLed ${KILLS} times at seeded random moments; every row learned exactly once`, async () => {
    const stream = "rows";
    const storeDir = join(dir, "store");
    const stderr: string[] = [];
    const rng = new SeededRandom(20261129);
    const producers = Array.from({ length: PRODUCERS }, (_, p) => startChild(script, ["produce", server.url, stream, String(p), String(ROWS_PER_PRODUCER), "250"], stderr));
    const producing = Promise.all(producers.map((p) => p.exited)).then(async (codes) => {
      await client.set(`${stream}:producers-done`, "1");
      return codes;
    });

    const consume = (life: number): Child => startChild(script, ["consume", server.url, stream, storeDir, `consumer-${life}`, String(life + 1), String(BATCH)], stderr);
    const kills: string[] = [];
    let recognised = 0;
    for (let life = 0; life < KILLS; life++) {
      const c = consume(life);
      // Half the kills land while an ack is held back after a saved checkpoint (learned, not acknowledged);
      // the others at a random time after the consumer started working (recovery, reading, learning, saving).
      const inWindow = life % 2 === 0;
      const wait = inWindow ? c.waitFor((l) => l === "ackdelay", 1 + rng.nextInt(2)) : c.waitFor((l) => l === "ready").then(() => new Promise((r) => setTimeout(r, rng.nextInt(300))));
      const outcome = await Promise.race([wait.then(() => "kill" as const), c.exited.then(() => "exited" as const)]);
      expect(outcome, stderr.join("")).toBe("kill");
      c.proc.kill("SIGKILL");
      expect(await c.exited).toBe("SIGKILL");
      recognised += c.lines.filter((l) => l.startsWith("skip ")).length;
      kills.push(inWindow ? "window" : "time");
    }
    expect(await producing).toEqual([0, 0, 0]);
    // The last consumer runs to the end: a run that finds nothing after the producers are done.
    const last = consume(KILLS);
    expect(await last.exited, stderr.join("")).toBe(0);
    recognised += last.lines.filter((l) => l.startsWith("skip ")).length;
    expect(stderr.join("")).toBe("");
    expect(kills).toHaveLength(KILLS);
    // Batches learned and checkpointed whose ack a kill cut off came back, and were recognised.
    expect(recognised).toBeGreaterThan(0);

    // Redis: every row arrived, every batch acknowledged, no record left.
    const entries = (await client.sendCommand(["XRANGE", stream, "-", "+"])) as [string, string[]][];
    expect(entries).toHaveLength(PRODUCERS * ROWS_PER_PRODUCER);
    expect(Number(((await client.sendCommand(["XPENDING", stream, "freshml"])) as unknown[])[0])).toBe(0);
    expect(Number(await client.sendCommand(["HLEN", `${stream}:freshml:freshml:batches`]))).toBe(0);

    // The learner: one sequential fit on the same rows, n exact.
    const rows = entries.map(([, fields]) => JSON.parse(fields[1]!) as Row);
    const checkpoint = await new FileModelStore(storeDir).getCheckpoint("model");
    const diff = stateDifference(checkpoint!.trainer, sequentialFit(rows));
    expect(diff.n).toEqual([30_000, 30_000]);
    expect(diff.maxRelative).toBeLessThan(1e-9);

    // The store: the learned batches' entry ranges do not overlap and cover every entry once.
    const ids = (checkpoint!.state as { learning: { ids: string[] } }).learning.ids;
    expect(new Set(ids).size).toBe(ids.length);
    const ranges = ids.map((id) => id.slice(`redis:${stream}:`.length).match(/^(\d+-\d+)-(\d+-\d+)$/)!.slice(1) as [string, string]).sort((a, b) => compareIds(a[0], b[0]));
    const position = new Map(entries.map(([id], i) => [id, i]));
    let covered = 0;
    let previousLast = -1;
    for (const [first, lastId] of ranges) {
      const [from, to] = [position.get(first)!, position.get(lastId)!];
      expect(from).toBeGreaterThan(previousLast);
      covered += to - from + 1;
      previousLast = to;
    }
    expect(covered).toBe(30_000);
    process.stdout.write(`[redis process test] ${KILLS} kills (${kills.filter((k) => k === "window").length} between a checkpoint and its ack), ${ids.length} batches, ${recognised} re-deliveries recognised\n`);
  }, 180_000);
});
