import type { Clock, TimerHandle } from "../schedule/clock.js";

/**
 * A clock that moves only when told, for scheduler tests that never sleep:
 * `advance(ms)` fires every timer due on the way, in order, letting pending
 * promises settle after each.
 *
 * @example
 * ```ts
 * import { FakeClock } from "freshml/testing";
 * const clock = new FakeClock(Date.parse("2026-03-29T00:00:00Z"));
 * let fired = 0;
 * clock.setTimeout(() => fired++, 60_000);
 * await clock.advance(60_000); // fired === 1
 * ```
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers = new Map<number, { due: number; fn: () => void; seq: number }>();

  /** @param start - the starting time, in ms since the epoch */
  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { due: this.t + Math.max(0, ms), fn, seq: id });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Timers waiting. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in order and settling promises after each. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await settle();
    for (;;) {
      let next: [number, { due: number; fn: () => void; seq: number }] | null = null;
      for (const e of this.timers) if (e[1].due <= target && (!next || e[1].due < next[1].due || (e[1].due === next[1].due && e[1].seq < next[1].seq))) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].due);
      next[1].fn();
      await settle();
    }
    this.t = target;
    await settle();
  }
}

/** Lets every pending promise chain run (a macrotask turn flushes the microtask queue). */
async function settle(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  const turn = g.setImmediate ? (r: () => void) => g.setImmediate!(r) : (r: () => void) => setTimeout(r, 0);
  for (let i = 0; i < 3; i++) await new Promise<void>(turn);
}
