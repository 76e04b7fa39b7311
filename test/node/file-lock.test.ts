import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withFileLock } from "../../src/node/index.js";

const root = mkdtempSync(join(tmpdir(), "freshml-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `l${n++}`, "lock");

/** A fake clock whose sleep advances time instead of waiting. */
function fakeTime(): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: () => number } {
  let t = 1_000_000;
  let count = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      count++;
      t += ms;
      await Promise.resolve();
    },
    sleeps: () => count,
  };
}

function plantLock(lock: string, owner: object): void {
  mkdirSync(lock, { recursive: true });
  writeFileSync(join(lock, "owner.json"), JSON.stringify(owner));
}

describe("withFileLock", () => {
  it("runs holders one at a time", async () => {
    const lock = fresh();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(lock, async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setImmediate(r));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(readdirSync(join(lock, "..")).filter((f) => f === "lock")).toEqual([]); // released
  });

  it("gives up with lock_timeout while a live process holds it", async () => {
    const lock = fresh();
    const clock = fakeTime();
    plantLock(lock, { pid: process.pid, host: (await import("node:os")).hostname(), at: clock.now(), token: "x" });
    await expect(withFileLock(lock, async () => 1, { timeoutMs: 1_000, now: clock.now, sleep: clock.sleep })).rejects.toMatchObject({
      code: "lock_timeout",
    });
    expect(clock.sleeps()).toBeGreaterThan(5);
  });

  it("breaks at once a lock whose process has died", async () => {
    const lock = fresh();
    const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid!;
    const clock = fakeTime();
    plantLock(lock, { pid: dead, host: (await import("node:os")).hostname(), at: clock.now(), token: "dead" });
    expect(await withFileLock(lock, async () => "got it", { now: clock.now, sleep: clock.sleep })).toBe("got it");
    expect(clock.sleeps()).toBe(0);
    expect(readdirSync(join(lock, "..")).some((f) => f.startsWith("lock.stale-"))).toBe(true);
  });

  it("breaks another host's lock only once it is older than staleMs", async () => {
    const lock = fresh();
    const clock = fakeTime();
    plantLock(lock, { pid: 1, host: "elsewhere", at: clock.now(), token: "far" });
    // Waits (fake time) until the lock is 5 s old, then takes it.
    expect(await withFileLock(lock, async () => "late", { staleMs: 5_000, timeoutMs: 60_000, now: clock.now, sleep: clock.sleep })).toBe("late");
    expect(clock.now() - 1_000_000).toBeGreaterThanOrEqual(5_000);
  });
});
