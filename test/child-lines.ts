import type { ChildProcess } from "node:child_process";
import { expect } from "vitest";

/** The child's output lines, one at a time. */
export function childLines(p: ChildProcess): () => Promise<string> {
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  let buf = "";
  let err = "";
  p.stderr!.on("data", (d) => (err += d));
  p.stdout!.on("data", (d) => {
    buf += String(d);
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else queue.push(line);
    }
  });
  return () =>
    new Promise((resolve, reject) => {
      const l = queue.shift();
      if (l !== undefined) return resolve(l);
      const timer = setTimeout(() => reject(new Error(`no line from the child within 30 s; stderr: ${err}`)), 30_000);
      waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
}

/** What {@link wokenLeaderIsRefused} reads of the store. */
interface LeaseStore {
  resolveAlias(name: string, alias: string): Promise<number | null>;
  list(name: string): Promise<{ versions: Array<{ version: number }> }>;
  aliasHistory(name: string, alias: string): Promise<Array<{ version: number }>>;
}

/**
 * The end of the paused-leader scenario, the same on every store: the old
 * leader (SIGSTOPped while another process took the lease and saved
 * `newChampion` as version 2) is woken and tries to write twice; both are
 * refused with lease_lost, and the store holds exactly versions 1 and 2 with
 * champion at 2.
 */
export async function wokenLeaderIsRefused(holder: ChildProcess, next: () => Promise<string>, store: LeaseStore, newChampion: number): Promise<void> {
  holder.kill("SIGCONT");
  // The woken process still believes it leads: it tries to write and move champion.
  holder.stdin!.write("write\n");
  expect(await next()).toBe("refused lease_lost");
  holder.stdin!.write("write\n");
  expect(await next()).toBe("refused lease_lost");
  expect(await store.resolveAlias("model", "champion")).toBe(newChampion);
  expect((await store.list("model")).versions.map((x) => x.version)).toEqual([2, 1]);
  expect((await store.aliasHistory("model", "champion")).map((e) => e.version)).toEqual([1, 2]);
}

/** Ends a child that may be stopped (SIGSTOP): wakes it, closes its stdin, terminates it. */
export function endPausedChild(holder: ChildProcess): void {
  holder.kill("SIGCONT");
  holder.stdin!.end();
  holder.kill("SIGTERM");
}
