import { describe, expect, it } from "vitest";
import {
  FreshmlError,
  MAE,
  PageHinkley,
  RowBuffer,
  Scheduler,
  anyOf,
  everyNRows,
  manual,
  onDrift,
  onMetricDecay,
  type SchedulerEvent,
} from "../../src/index.js";
import { FakeClock } from "../../src/testing/index.js";

const iso = (t: number): string => new Date(t).toISOString();

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("Scheduler", () => {
  it("rejects an invalid or impossible cron expression at construction", () => {
    for (const cron of ["61 * * * *", "not cron", "0 0 31 2 *"]) {
      expect(() => new Scheduler({ cron, run: async () => 0 })).toThrowError(expect.objectContaining({ code: "invalid_params" }));
    }
    expect(() => new Scheduler({ cron: "0 9 * * *", timezone: "Mars/Olympus", run: async () => 0 })).toThrow(FreshmlError);
  });

  it("ticks at the right instants across the spring DST change in Europe/Berlin", async () => {
    const clock = new FakeClock(Date.parse("2026-03-27T00:00:00Z"));
    const runs: string[] = [];
    const s = new Scheduler({ cron: "0 9 * * *", timezone: "Europe/Berlin", clock, run: async () => void runs.push(iso(clock.now())) });
    s.start();
    await clock.advance(4 * 86_400_000);
    // 09:00 CET is 08:00 UTC; from March 29th, 09:00 CEST is 07:00 UTC: a 23-hour day.
    expect(runs).toEqual(["2026-03-27T08:00:00.000Z", "2026-03-28T08:00:00.000Z", "2026-03-29T07:00:00.000Z", "2026-03-30T07:00:00.000Z"]);
    await s.stop();
  });

  it("handles the missing and the repeated hour: 02:30 Berlin on both DST days", async () => {
    const spring = new FakeClock(Date.parse("2026-03-28T12:00:00Z"));
    const fall = new FakeClock(Date.parse("2026-10-24T12:00:00Z"));
    const at: Record<string, string[]> = { spring: [], fall: [] };
    for (const [name, clock] of [["spring", spring], ["fall", fall]] as const) {
      const s = new Scheduler({ cron: "30 2 * * *", timezone: "Europe/Berlin", clock, run: async () => void at[name]!.push(iso(clock.now())) });
      s.start();
      await clock.advance(2 * 86_400_000);
      await s.stop();
    }
    // 02:30 does not exist on March 29th (clocks jump from 02:00 to 03:00): it runs at the first
    // instant after the gap, 03:00 CEST (01:00 UTC). On October 25th 02:30 happens twice: it runs
    // once, at the first (02:30 CEST, 00:30 UTC). Croner's rules, exact to the minute.
    expect(at.spring).toEqual(["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
    expect(at.fall).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
  });

  it("skips ticks while a run is in flight, and reports them", async () => {
    const clock = new FakeClock(Date.parse("2026-01-01T00:00:30Z"));
    const events: SchedulerEvent["type"][] = [];
    const gate = deferred();
    let calls = 0;
    const s = new Scheduler({
      cron: "* * * * *",
      clock,
      onEvent: (e) => events.push(e.type),
      run: async () => {
        calls++;
        if (calls === 1) await gate.promise;
      },
    });
    s.start();
    await clock.advance(3 * 60_000);
    expect(calls).toBe(1);
    expect(events.filter((e) => e === "skipped")).toHaveLength(2);
    gate.resolve();
    await clock.advance(60_000);
    expect(calls).toBe(2);
    await s.stop();
  });

  it("stop() waits for the run in flight; with abort it aborts it through its signal", async () => {
    const clock = new FakeClock(0);
    const gate = deferred();
    let sawAbort = false;
    const waiting = new Scheduler({ cron: "* * * * *", clock, run: () => gate.promise });
    waiting.start();
    await clock.advance(60_000);
    let stopped = false;
    const stopping = waiting.stop().then(() => (stopped = true));
    await clock.advance(1000);
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(stopped).toBe(true);
    expect(clock.pending).toBe(0);

    const aborting = new Scheduler({
      cron: "* * * * *",
      clock,
      run: ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener("abort", () => ((sawAbort = true), reject(new Error("aborted"))))),
    });
    aborting.start();
    await clock.advance(60_000);
    await aborting.stop({ abort: true });
    expect(sawAbort).toBe(true);
  });

  it("a throwing run is reported and the next one runs; retries back off", async () => {
    const clock = new FakeClock(0);
    const events: SchedulerEvent[] = [];
    let calls = 0;
    const s = new Scheduler({
      cron: "0 * * * *",
      clock,
      retry: { attempts: 3, backoffMs: 1000, factor: 2 },
      onEvent: (e) => events.push(e),
      run: async ({ attempt }) => {
        calls++;
        if (calls <= 3) throw new Error(`boom ${attempt}`);
        return "ok";
      },
    });
    s.start();
    await clock.advance(3_600_000 + 10_000);
    const failed = events.filter((e) => e.type === "run_failed") as Extract<SchedulerEvent, { type: "run_failed" }>[];
    expect(failed.map((e) => [e.attempt, e.at, e.willRetry])).toEqual([
      [1, 3_600_000, true],
      [2, 3_601_000, true],
      [3, 3_603_000, false],
    ]);
    await clock.advance(3_600_000);
    expect(events.filter((e) => e.type === "run_succeeded")).toHaveLength(1);
    expect(calls).toBe(4);
    await s.stop();
  });

  it("survives a run function that throws synchronously", async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const s = new Scheduler({
      cron: "* * * * *",
      clock,
      run: (() => {
        calls++;
        if (calls === 1) throw new Error("sync boom");
        return Promise.resolve();
      }) as unknown as () => Promise<unknown>,
    });
    s.start();
    await clock.advance(2 * 60_000);
    expect(calls).toBe(2);
    expect(s.running).toBe(false);
    await s.stop();
  });

  it("adds jitter to cron ticks", async () => {
    const clock = new FakeClock(0);
    const at: number[] = [];
    const s = new Scheduler({ cron: "0 * * * *", clock, jitterMs: 10_000, random: () => 0.5, run: async () => void at.push(clock.now()) });
    s.start();
    await clock.advance(3_600_000 + 5_000);
    expect(at).toEqual([3_605_000]);
    await s.stop();
  });

  it("runs when a trigger fires, with its reason; a trigger during a run waits its turn", async () => {
    const clock = new FakeClock(0);
    const reasons: string[] = [];
    const now = manual();
    const gate = deferred();
    const s = new Scheduler({
      triggers: [now],
      clock,
      run: async ({ reason }) => {
        reasons.push(reason);
        if (reasons.length === 1) await gate.promise;
      },
    });
    now.fire("first");
    s.poke();
    await clock.advance(0); // the run starts on the next turn
    now.fire("second");
    s.poke(); // in flight: skipped for now
    expect(reasons).toEqual(["manual: first"]);
    gate.resolve();
    await clock.advance(0);
    expect(reasons).toEqual(["manual: first", "manual: second"]);
    await s.stop();
  });
});

describe("triggers fire exactly when their condition holds", () => {
  it("everyNRows", () => {
    const buffer = new RowBuffer<number>({ batchRows: 4 });
    const t = everyNRows(buffer, 10);
    buffer.push([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(t.poll()).toBeNull();
    buffer.push([10]);
    expect(t.poll()).toBe("10 rows accumulated (every 10)");
    expect(buffer.takeBatches()).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
    expect(buffer.size).toBe(2);
    expect(t.poll()).toBeNull();
  });

  it("onDrift: at the detector's first detection, and not before", () => {
    const reference = new PageHinkley({ threshold: 5 });
    let firstAt = -1;
    const values = Array.from({ length: 300 }, (_, i) => (i < 150 ? 0.1 : 0.6));
    values.forEach((v, i) => {
      reference.update(v);
      if (reference.driftDetected && firstAt < 0) firstAt = i;
    });
    const t = onDrift(new PageHinkley({ threshold: 5 }));
    values.forEach((v, i) => {
      t.observe(v);
      if (i < firstAt) expect(t.poll()).toBeNull();
    });
    expect(t.poll()).toBe(`PageHinkley detected drift after ${firstAt + 1} observations`);
    t.reset();
    expect(t.poll()).toBeNull();
  });

  it("onMetricDecay: past the margin, after minRows", () => {
    const t = onMetricDecay({ metric: new MAE(), reference: 1, margin: 0.2, relative: true, minRows: 4 });
    t.observePair([0, 0], [5, 5]);
    expect(t.poll()).toBeNull(); // only 2 rows
    t.observePair([0, 0], [1.2, 1.2]);
    expect(t.poll()).toBe("mae 3.100 is worse than the champion's 1 by more than 0.2000");
    t.reset();
    t.observePair([0, 0, 0, 0], [1.2, 1.2, 1.2, 1.2]);
    expect(t.poll()).toBeNull(); // 1.2 is within 20% of 1
  });

  it("anyOf names every trigger that fired", () => {
    const a = manual();
    const b = manual();
    const either = anyOf(a, b);
    expect(either.poll()).toBeNull();
    a.fire("x");
    b.fire("y");
    expect(either.poll()).toBe("manual: x; manual: y");
    either.reset();
    expect(a.poll()).toBeNull();
  });
});
