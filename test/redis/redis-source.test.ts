import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { FreshmlError, LinearRegression, MemoryModelStore, Pipeline, isFreshmlError, type PipelineEvent } from "../../src/index.js";
import { RedisStreamSource, addRows, type RedisCommandClient } from "../../src/redis/index.js";
import { makePipeline, makeRows, sequentialFit, stateDifference, type Row } from "./helpers.js";
import { redisSuitesEnabled, startRedisServer, type RedisServer, type TestRedisClient } from "./redis-server.js";

/** A client whose acknowledgements (XACK, then HDEL of the batch's record) never reach the server: as if the process died just before sending them. */
function losingAcks(client: RedisCommandClient, keep = 0): RedisCommandClient {
  let acks = 0;
  return {
    sendCommand: (args) => {
      if (args[0] === "XACK") acks++;
      return (args[0] === "XACK" || args[0] === "HDEL") && acks > keep ? Promise.resolve(0) : client.sendCommand(args);
    },
  };
}

async function learnedState(store: MemoryModelStore, name = "model") {
  const cp = await store.getCheckpoint(name);
  if (!cp) throw new Error("no checkpoint");
  return cp.trainer;
}

async function streamRows(client: TestRedisClient, stream: string): Promise<Row[]> {
  const reply = (await client.sendCommand(["XRANGE", stream, "-", "+"])) as [string, string[]][];
  return reply.map(([, fields]) => JSON.parse(fields[1]!) as Row);
}

describe.runIf(redisSuitesEnabled("RedisStreamSource on a real Redis server"))("RedisStreamSource on a real Redis server", () => {
  let server: RedisServer;
  let client: TestRedisClient;
  let stream: string;
  let n = 0;
  beforeAll(async () => {
    server = await startRedisServer({ durable: true });
    client = await server.client();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    stream = `rows-${n++}`;
  });

  it.each([3, 2] as const)("reads the stream as batches of at most batchSize, ids from the stream ids, learns every row and acknowledges every batch (RESP%i)", async (resp) => {
    const client = await server.client(resp);
    const rows = makeRows(1, 250);
    const ids = await addRows(client, stream, rows);
    expect(ids).toHaveLength(250);
    const store = new MemoryModelStore();
    const source = new RedisStreamSource({ client, stream, batchSize: 100, blockMs: 10 });
    const events: PipelineEvent[] = [];
    const report = await source.run(makePipeline(store), { onEvent: (e) => events.push(e) });
    expect(report.batches).toEqual({ total: 3, accepted: 3, quarantined: 0, skipped: 0 });
    expect(report.rows.learned).toBe(250);
    expect(report.records.map((r) => r.id)).toEqual([
      `redis:${stream}:${ids[0]}-${ids[99]}`,
      `redis:${stream}:${ids[100]}-${ids[199]}`,
      `redis:${stream}:${ids[200]}-${ids[249]}`,
    ]);
    expect(events.some((e) => e.type === "checkpoint_saved")).toBe(true); // the caller's onEvent still hears everything
    expect(await source.status()).toEqual({ pendingEntries: 0, pendingBatches: 0, lag: 0 });
    const diff = stateDifference(await learnedState(store), sequentialFit(rows));
    expect(diff.n).toEqual([250, 250]);
    expect(diff.maxRelative).toBeLessThan(1e-9);
    // Nothing new: the next run reads nothing and learns nothing.
    const again = await source.run(makePipeline(store));
    expect(again.batches.total + again.batches.skipped).toBe(0);
  });

  it("acknowledges a batch only after the checkpoint that contains it is saved", async () => {
    await addRows(client, stream, makeRows(2, 60));
    const store = new MemoryModelStore();
    const source = new RedisStreamSource({ client, stream, batchSize: 20, blockMs: 10 });
    const pendingAt: Array<{ event: string; pending: number }> = [];
    const probe = async (event: string) => pendingAt.push({ event, pending: Number(((await client.sendCommand(["XPENDING", stream, "freshml"])) as unknown[])[0]) });
    const probes: Promise<unknown>[] = [];
    const pipeline = makePipeline(store, "acks");
    await source.run(pipeline, {
      onEvent: (e) => {
        if (e.type === "batch_validated") probes.push(probe(`validated ${e.batch}`));
      },
    });
    await Promise.all(probes);
    // When batch k is being learned, its 20 entries (and none before) are pending: each earlier one was acknowledged after its checkpoint.
    expect(pendingAt).toEqual([
      { event: "validated 0", pending: 20 },
      { event: "validated 1", pending: 20 },
      { event: "validated 2", pending: 20 },
    ]);
    expect((await source.status()).pendingEntries).toBe(0);
  });

  it("a crash between learning and the ack re-delivers the batch, to another consumer, and it is recognised, not learned twice", async () => {
    const rows = makeRows(3, 90);
    await addRows(client, stream, rows);
    const store = new MemoryModelStore();
    // The first leader learns and checkpoints every batch, and dies before any XACK reaches Redis.
    const doomed = new RedisStreamSource({ client: losingAcks(client), stream, consumer: "leader-a", batchSize: 30, blockMs: 10 });
    const first = await makePipeline(store).runBatches(doomed, doomed.runOptions());
    expect(first.rows.learned).toBe(90);
    expect(await doomed.status()).toMatchObject({ pendingEntries: 90, pendingBatches: 3 });
    // A new leader (another process, another consumer name) takes the dead one's pending batches over.
    const source = new RedisStreamSource({ client, stream, consumer: "leader-b", batchSize: 30, blockMs: 10 });
    const skipped: string[] = [];
    const report = await source.run(makePipeline(store), { onEvent: (e) => e.type === "batch_skipped" && skipped.push(`${e.reason} ${e.id}`) });
    expect(report.batches).toMatchObject({ accepted: 0, skipped: 3 });
    expect(skipped).toEqual(first.records.map((r) => `redelivered ${r.id}`));
    expect(await source.status()).toEqual({ pendingEntries: 0, pendingBatches: 0, lag: 0 });
    const diff = stateDifference(await learnedState(store), sequentialFit(rows));
    expect(diff.n).toEqual([90, 90]);
    expect(diff.maxRelative).toBeLessThan(1e-9);
  });

  it("re-forms pending batches exactly as they were handed over, whatever batchSize and reads do after the restart", async () => {
    await addRows(client, stream, makeRows(4, 100));
    const store = new MemoryModelStore();
    // Batches of 25: the first is learned and acknowledged; the second learned and checkpointed, its ack lost;
    // the third handed over and aborted before it was learned.
    const controller = new AbortController();
    const first = new RedisStreamSource({ client: losingAcks(client, 1), stream, batchSize: 25, blockMs: 10 });
    const handed: string[] = [];
    const watched = {
      [Symbol.asyncIterator]: () => {
        const it = first[Symbol.asyncIterator]();
        return {
          next: async () => {
            const r = await it.next();
            if (!r.done) handed.push(r.value.id);
            return r;
          },
          return: () => it.return!(),
        };
      },
    };
    const firstReport = await makePipeline(store).runBatches(
      watched,
      first.runOptions({
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === "batch_validated" && e.batch === 2) controller.abort();
        },
      }),
    );
    expect(handed).toHaveLength(3);
    expect(firstReport.records.map((r) => r.id)).toEqual(handed.slice(0, 2));
    expect(firstReport.status).toBe("aborted");
    expect(firstReport.rows.learned).toBe(50);
    expect(await first.status()).toMatchObject({ pendingEntries: 50, pendingBatches: 2 });
    // More rows arrive meanwhile; the new leader reads with batches of 1,000.
    await addRows(client, stream, makeRows(5, 40));
    const source = new RedisStreamSource({ client, stream, batchSize: 1000, blockMs: 10 });
    const report = await source.run(makePipeline(store));
    // The learned batch is recognised; the aborted one comes back whole under the id it had; then what was never read.
    expect(report.skipped.map((s) => s.id)).toEqual([handed[1]]);
    expect(report.records.map((r) => r.rows)).toEqual([25, 65]);
    expect(report.records[0]!.id).toBe(handed[2]);
    expect(await source.status()).toEqual({ pendingEntries: 0, pendingBatches: 0, lag: 0 });
    const diff = stateDifference(await learnedState(store), sequentialFit(await streamRows(client, stream)));
    expect(diff.n).toEqual([140, 140]);
    expect(diff.maxRelative).toBeLessThan(1e-9);
  });

  it("entries a dead consumer read but never recorded as a batch are taken over (XAUTOCLAIM) and learned once", async () => {
    const rows = makeRows(6, 70);
    await addRows(client, stream, rows);
    const source = new RedisStreamSource({ client, stream, batchSize: 40, blockMs: 10 });
    await source.ensureGroup();
    // A consumer that died right after its read, before recording the batch.
    await client.sendCommand(["XREADGROUP", "GROUP", "freshml", "dead", "COUNT", "50", "STREAMS", stream, ">"]);
    const store = new MemoryModelStore();
    const report = await source.run(makePipeline(store));
    expect(report.records.map((r) => r.rows)).toEqual([40, 10, 20]);
    expect(await source.status()).toEqual({ pendingEntries: 0, pendingBatches: 0, lag: 0 });
    const diff = stateDifference(await learnedState(store), sequentialFit(rows));
    expect(diff.n).toEqual([70, 70]);
    expect(diff.maxRelative).toBeLessThan(1e-9);
  });

  it("a batch with a malformed entry is quarantined (its raw text goes to the dead letter) and acknowledged; flat fields read with z.coerce", async () => {
    await client.sendCommand(["XADD", stream, "*", "row", "{not json"]);
    await addRows(client, stream, [{ x: 1, y: 3 }, { x: 2, y: 5 }, { x: 3, y: 7 }], { encoding: "fields" });
    const dead: unknown[] = [];
    const jsonSource = new RedisStreamSource({ client, stream, group: "json", batchSize: 1, blockMs: 10 });
    const strict = new Pipeline({ schema: z.object({ x: z.number(), y: z.number() }), target: "y", trainer: new LinearRegression(), detector: null, deadLetter: (d) => void dead.push(...d.rows) });
    const jsonReport = await jsonSource.run(strict);
    // The JSON source cannot read the first entry, nor flat fields: all four are quarantined, none learned, all acknowledged.
    expect(jsonReport.batches).toMatchObject({ quarantined: 4, accepted: 0 });
    expect(dead[0]).toBe("{not json");
    expect((await jsonSource.status()).pendingEntries).toBe(0);

    const fieldsSource = new RedisStreamSource({ client, stream, group: "fields", encoding: "fields", batchSize: 10, blockMs: 10 });
    const coerce = new Pipeline({ schema: z.object({ x: z.coerce.number(), y: z.coerce.number() }), target: "y", trainer: new LinearRegression(), detector: null, rowPolicy: { schema: "drop", maxDropRate: 0.5 } });
    const report = await fieldsSource.run(coerce);
    // The JSON entry has no x or y as flat fields: that row is dropped, the three others learned.
    expect(report.rows).toMatchObject({ learned: 3, dropped: 1 });
  });

  it("entries trimmed from the stream after they were read are left out of their batch", async () => {
    await addRows(client, stream, makeRows(7, 30));
    const store = new MemoryModelStore();
    const doomed = new RedisStreamSource({ client: losingAcks(client), stream, batchSize: 30, blockMs: 10 });
    const controller = new AbortController();
    await makePipeline(store).runBatches(doomed, doomed.runOptions({ signal: controller.signal, onEvent: (e) => e.type === "batch_validated" && controller.abort() }));
    await client.sendCommand(["XTRIM", stream, "MAXLEN", "10"]);
    const source = new RedisStreamSource({ client, stream, batchSize: 30, blockMs: 10 });
    const report = await source.run(makePipeline(store));
    expect(report.records.map((r) => r.rows)).toEqual([10]);
    expect((await source.status()).pendingEntries).toBe(0);
  });

  it("a failed acknowledgement fails the run (store_unavailable, retriable); its batch comes again and is recognised", async () => {
    const rows = makeRows(9, 60);
    await addRows(client, stream, rows);
    const store = new MemoryModelStore();
    const failing: RedisCommandClient = { sendCommand: (args) => (args[0] === "XACK" ? Promise.reject(new Error("Socket closed unexpectedly")) : client.sendCommand(args)) };
    const broken = new RedisStreamSource({ client: failing, stream, batchSize: 20, blockMs: 10 });
    const err = await broken.run(makePipeline(store)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "store_unavailable", details: { retriable: true } });
    // The first batch was learned and saved, then its ack failed and the next read stopped the run.
    expect((await learnedState(store)).state).toMatchObject({ n: 20 });
    const source = new RedisStreamSource({ client, stream, batchSize: 20, blockMs: 10 });
    const report = await source.run(makePipeline(store));
    expect(report.batches).toMatchObject({ skipped: 1, accepted: 2 });
    expect(await source.status()).toEqual({ pendingEntries: 0, pendingBatches: 0, lag: 0 });
    const diff = stateDifference(await learnedState(store), sequentialFit(rows));
    expect(diff.n).toEqual([60, 60]);
  });

  it("follow keeps reading new entries until the run's signal aborts", async () => {
    const store = new MemoryModelStore();
    const source = new RedisStreamSource({ client, stream, batchSize: 10, blockMs: 20, follow: true });
    await source.ensureGroup();
    const controller = new AbortController();
    let learned = 0;
    const run = source.run(makePipeline(store), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === "checkpoint_saved" && e.kind === "checkpoint" && ++learned === 3) controller.abort();
      },
    });
    // The producer comes after the reader started: a reader in follow mode waits for it.
    for (let k = 0; k < 3; k++) await addRows(client, stream, makeRows(10 + k, 10));
    const report = await run;
    expect(report.rows.learned).toBe(30);
    expect((await source.status()).pendingEntries).toBe(0);
  });

  it("a run's signal ends only the pass of that run, not a later one", async () => {
    await addRows(client, stream, makeRows(12, 5));
    const source = new RedisStreamSource({ client, stream, blockMs: 10 });
    const controller = new AbortController();
    controller.abort();
    const aborted = await makePipeline(new MemoryModelStore()).runBatches(source, source.runOptions({ signal: controller.signal }));
    expect(aborted.rows.learned).toBe(0);
    const report = await source.run(makePipeline(new MemoryModelStore()));
    expect(report.rows.learned).toBe(5);
  });

  it("one pass at a time: a second is run_in_progress", async () => {
    const source = new RedisStreamSource({ client, stream, blockMs: 10 });
    const first = source[Symbol.asyncIterator]();
    expect(() => source[Symbol.asyncIterator]()).toThrow(expect.objectContaining({ code: "run_in_progress" }));
    await first.next();
    await first.return!();
    const second = source[Symbol.asyncIterator]();
    await second.return!();
  });

  it("options are checked: invalid_params", () => {
    const bad = [{ stream: "" }, { stream: "s", batchSize: 0 }, { stream: "s", blockMs: 0 }, { stream: "s", encoding: "csv" }, { stream: "s", startId: "later" }, { stream: "x".repeat(401) }, { stream: "s", batchesKey: "s" }];
    for (const o of bad) expect(() => new RedisStreamSource({ client, ...(o as { stream: string }) })).toThrow(expect.objectContaining({ code: "invalid_params" }));
    expect(() => new RedisStreamSource({ client: {} as RedisCommandClient, stream: "s" })).toThrow(expect.objectContaining({ code: "invalid_params" }));
    return expect(addRows(client, "s", [undefined])).rejects.toMatchObject({ code: "invalid_row" });
  });

  it("an error reply is store_error; a key of another type refuses the pass", async () => {
    await client.sendCommand(["SET", stream, "a string"]);
    const source = new RedisStreamSource({ client, stream, blockMs: 10 });
    const err = await source.run(makePipeline(new MemoryModelStore())).catch((e: unknown) => e);
    expect(isFreshmlError(err, "store_error")).toBe(true);
    expect((err as FreshmlError).details).toMatchObject({ retriable: false, reply: "WRONGTYPE" });
  });

  it("a lost server is store_unavailable (retriable); after it is back, the next run learns every row exactly once", async () => {
    const rows = makeRows(8, 200);
    await addRows(client, stream, rows);
    const store = new MemoryModelStore();
    const leader = await server.client();
    const source = new RedisStreamSource({ client: leader, stream, batchSize: 20, blockMs: 10 });
    let killed: Promise<void> | null = null;
    const err = await source
      .run(makePipeline(store), { onEvent: (e) => e.type === "checkpoint_saved" && e.batch === 4 && (killed ??= server.kill()) })
      .catch((e: unknown) => e);
    expect(isFreshmlError(err, "store_unavailable")).toBe(true);
    expect((err as FreshmlError).details.retriable).toBe(true);
    await killed;
    await server.start();
    const report = await source.run(makePipeline(store));
    expect(report.rows.learned).toBeGreaterThan(0);
    expect(await source.status()).toEqual({ pendingEntries: 0, pendingBatches: 0, lag: 0 });
    const diff = stateDifference(await learnedState(store), sequentialFit(rows));
    expect(diff.n).toEqual([200, 200]);
    expect(diff.maxRelative).toBeLessThan(1e-9);
  });
});
