import type { HostAbortSignal } from "../core/abort.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import type { IdentifiedRows, PipelineEvent, RunOptions, SourceBatch } from "../pipeline/pipeline.js";
import type { RunReport } from "../pipeline/report.js";
import { compareIds, entriesOf, readReply, send, type RawEntry, type RedisCommandClient } from "./client.js";
import { DEFAULT_ROW_FIELD, checkEncoding, decodeRow, type RowEncoding } from "./encoding.js";

/**
 * Options of {@link RedisStreamSource}.
 *
 * @example
 * ```ts
 * import type { RedisStreamSourceOptions } from "freshml/redis";
 * import type { RedisCommandClient } from "freshml/redis";
 * const client: RedisCommandClient = { sendCommand: async () => null }; // a connected @redis/client in practice
 * const options: RedisStreamSourceOptions = { client, stream: "load-rows", group: "trainer", batchSize: 500 };
 * ```
 */
export interface RedisStreamSourceOptions {
  /** A connected client of its own (blocking reads hold its connection): `createClient(…).connect()`, or `client.duplicate()`. */
  client: RedisCommandClient;
  /** The stream the producers `XADD` rows to (see {@link addRows}). */
  stream: string;
  /** The consumer group; created (with the stream) if missing. Default `"freshml"`. */
  group?: string;
  /** This reader's name in the group. Default `"leader"`. */
  consumer?: string;
  /** Most rows in one batch. Default 1,000. */
  batchSize?: number;
  /** How long a read waits for new entries, in ms. Default 1,000. */
  blockMs?: number;
  /**
   * Keep waiting for new entries (until `signal`, or the run's signal, aborts)
   * instead of ending the pass when a read waits `blockMs` for nothing.
   * Default false: each run takes what is there, then ends (a scheduler's tick).
   */
  follow?: boolean;
  /** Ends a following pass between reads. */
  signal?: HostAbortSignal;
  /** Where a new group starts reading: `"0"` (default) every entry in the stream, `"$"` only entries added from now on. */
  startId?: string;
  /** How rows sit in entries (as the producers wrote them). Default `"json"`. */
  encoding?: RowEncoding;
  /** With `"json"`: the field holding the row. Default `"row"`. */
  field?: string;
  /** The hash that records which entries form each batch not yet acknowledged. Default `<stream>:freshml:<group>:batches`. */
  batchesKey?: string;
}

/**
 * What {@link RedisStreamSource.status} reports.
 *
 * @example
 * ```ts
 * import type { RedisSourceStatus } from "freshml/redis";
 * const idle: RedisSourceStatus = { pendingEntries: 0, pendingBatches: 0, lag: 0 };
 * ```
 */
export interface RedisSourceStatus {
  /** Entries read by the group and not yet acknowledged (learned or not). */
  pendingEntries: number;
  /** Recorded batches not yet acknowledged. */
  pendingBatches: number;
  /** Entries in the stream the group has not read yet (null when Redis cannot tell, e.g. after deletions). */
  lag: number | null;
}

/**
 * What {@link RedisStreamSource.run} needs of a pipeline: a `Pipeline`, or
 * anything that runs batches the same way and reports the same events
 * (the acknowledgements follow `checkpoint_saved`).
 *
 * @example
 * ```ts
 * import { Pipeline, LinearRegression } from "freshml";
 * import type { PipelineRunner } from "freshml/redis";
 * const runner: PipelineRunner = new Pipeline({ trainer: new LinearRegression() });
 * ```
 */
export interface PipelineRunner {
  /** Runs the pipeline over a source (see `Pipeline.runBatches`). */
  runBatches(source: AsyncIterable<SourceBatch>, options?: RunOptions): Promise<RunReport>;
}

/** A batch handed to the pipeline and not yet acknowledged. */
interface Handed {
  readonly id: string;
  readonly first: string;
  readonly entryIds: readonly string[];
  /** Its place in the pipeline's stream once it was validated or quarantined. */
  position: number | null;
  /** The pipeline recognised it (learned before) or passed over it (`resume`): it takes no position. */
  skipped: "redelivered" | "replayed" | null;
}

/** One pass over the stream: the batches it handed over, and the first of its acknowledgements that failed. */
interface Pass {
  handed: Handed[];
  ackError: unknown;
}

/** Batch ids must fit the pipeline's 512 characters: two stream ids and the prefix leave this much for the name. */
const MAX_STREAM_NAME = 400;

/**
 * Rows from a Redis stream, read through a consumer group by the retraining
 * leader, as batches a {@link PipelineRunner} learns: producers on any host
 * append rows ({@link addRows}: `XADD stream * row <json>`), and every row is
 * learned once however often the leader crashes.
 *
 * **Delivery.** At least once, learned once. A batch is acknowledged
 * (`XACK`) only after a checkpoint that contains it is saved (the pipeline's
 * `checkpoint_saved` event); a crash before that leaves its entries pending,
 * and the next pass hands the same batch over again, with the same id, which
 * the pipeline recognises (`batch_skipped`, reason `redelivered`) if it had
 * learned it.
 *
 * **Batch identity.** A batch is the entries of one `XREADGROUP` read (at
 * most `batchSize`); its id is `redis:<stream>:<first id>-<last id>`. Before
 * a batch is handed over, its entry ids are recorded in a hash
 * (`batchesKey`), so after a restart the pending entries are grouped exactly
 * as before, whatever the reads return then. Each pass begins with recovery:
 * the recorded batches (taken over with `XCLAIM`, from a dead consumer too),
 * then entries read but never handed over (`XAUTOCLAIM`), then new entries.
 * The ack removes the record.
 *
 * **One reader per group.** Recovery takes over every pending entry of the
 * group, so run one leader at a time: a `Scheduler` with a `lease`, and
 * writes fenced with its grant. Blocking reads hold the client's connection:
 * give the source a client of its own.
 *
 * **Errors.** A lost connection is `store_unavailable` (`details.retriable`);
 * an error reply (a key of another type, say) is `store_error`. The run
 * fails, its learning is saved, nothing is acknowledged that was not, and
 * the next run starts with recovery.
 *
 * @example
 * ```ts
 * import { createClient } from "@redis/client";
 * import * as z from "zod";
 * import { Pipeline, LinearRegression } from "freshml";
 * import { RedisStreamSource, addRows } from "freshml/redis";
 * if (process.env.REDIS_URL) {
 *   const client = await createClient({ url: process.env.REDIS_URL }).connect();
 *   // Producers, on any host:
 *   await addRows(client, "doc:load", Array.from({ length: 50 }, (_, i) => ({ temp: i % 30, load: 2 * (i % 30) + 1 })));
 *   // The leader:
 *   const source = new RedisStreamSource({ client, stream: "doc:load", group: "trainer", batchSize: 20, blockMs: 10 });
 *   const pipeline = new Pipeline({ schema: z.object({ temp: z.number(), load: z.number() }), target: "load", trainer: new LinearRegression() });
 *   const report = await source.run(pipeline); // reads what is there, learns it, acknowledges it
 *   console.log(report.rows.learned, await source.status()); // 50 { pendingEntries: 0, pendingBatches: 0, lag: 0 }
 *   await client.sendCommand(["DEL", "doc:load", "doc:load:freshml:trainer:batches"]);
 *   client.destroy();
 * }
 * ```
 */
export class RedisStreamSource implements AsyncIterable<IdentifiedRows> {
  /** The stream read. */
  readonly stream: string;
  /** The consumer group. */
  readonly group: string;
  /** This reader's name in the group. */
  readonly consumer: string;
  /** The hash of recorded, unacknowledged batches. */
  readonly batchesKey: string;
  private readonly client: RedisCommandClient;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly follow: boolean;
  private readonly signal: HostAbortSignal | undefined;
  private readonly startId: string;
  private readonly encoding: RowEncoding;
  private readonly field: string;
  /** The pass whose batches the pipeline's events speak of (kept after it ends, for the run's last checkpoint). */
  private current: Pass | null = null;
  private passing = false;
  private runSignal: HostAbortSignal | undefined;
  /** Acknowledgements in flight, in order. */
  private acks: Promise<void> = Promise.resolve();

  constructor(options: RedisStreamSourceOptions) {
    const { client, stream, group = "freshml", consumer = "leader", batchSize = 1000, blockMs = 1000, follow = false, signal, startId = "0", encoding = "json", field = DEFAULT_ROW_FIELD } = options;
    checkParam(typeof client?.sendCommand === "function", "client", "a Redis client with sendCommand (a connected @redis/client)", client);
    checkParam(typeof stream === "string" && stream.length > 0 && stream.length <= MAX_STREAM_NAME, "stream", `a non-empty string of at most ${MAX_STREAM_NAME} characters`, stream);
    checkParam(typeof group === "string" && group.length > 0, "group", "a non-empty string", group);
    checkParam(typeof consumer === "string" && consumer.length > 0, "consumer", "a non-empty string", consumer);
    checkParam(Number.isInteger(batchSize) && batchSize >= 1, "batchSize", "an integer ≥ 1", batchSize);
    checkParam(Number.isInteger(blockMs) && blockMs >= 1, "blockMs", "an integer ≥ 1 (0 would block forever)", blockMs);
    checkParam(typeof startId === "string" && /^(\$|\d+(-\d+)?)$/.test(startId), "startId", '"0", "$" or a stream id', startId);
    checkEncoding(encoding, field);
    const batchesKey = options.batchesKey ?? `${stream}:freshml:${group}:batches`;
    checkParam(typeof batchesKey === "string" && batchesKey.length > 0 && batchesKey !== stream, "batchesKey", "a non-empty key other than the stream", batchesKey);
    this.client = client;
    this.stream = stream;
    this.group = group;
    this.consumer = consumer;
    this.batchSize = batchSize;
    this.blockMs = blockMs;
    this.follow = follow;
    this.signal = signal;
    this.startId = startId;
    this.encoding = encoding;
    this.field = field;
    this.batchesKey = batchesKey;
  }

  /**
   * One pass: recovery (recorded batches, then entries never handed over),
   * then new entries until a read finds none (or, with `follow`, until
   * aborted). One pass at a time: a second is `run_in_progress`.
   */
  [Symbol.asyncIterator](): AsyncIterator<IdentifiedRows> {
    if (this.passing) throw new FreshmlError("run_in_progress", `a pass over Redis stream ${this.stream} is already running; one at a time`);
    this.passing = true;
    const pass: Pass = { handed: [], ackError: null };
    this.current = pass;
    // The signal of the run that runOptions() prepared, for this pass only.
    const runSignal = this.runSignal;
    this.runSignal = undefined;
    const gen = this.batches(pass, runSignal);
    const end = (): void => {
      this.passing = false;
    };
    return {
      next: async () => {
        try {
          const r = await gen.next();
          if (r.done) end();
          return r;
        } catch (err) {
          end();
          throw err;
        }
      },
      return: async (value?: unknown) => {
        try {
          return await gen.return(value as undefined);
        } finally {
          end();
        }
      },
    };
  }

  /**
   * Follows the pipeline: pass it as `onEvent` (or use {@link runOptions} or
   * {@link run}). A batch is acknowledged when a checkpoint containing it is
   * saved; a batch recognised as learned, at the next checkpoint or when the
   * run finishes.
   */
  readonly onEvent = (event: PipelineEvent): void => {
    const pass = this.current;
    if (!pass) return;
    switch (event.type) {
      case "batch_skipped": {
        const h = pass.handed.find((b) => b.id === event.id && b.position === null && b.skipped === null);
        if (h) h.skipped = event.reason;
        break;
      }
      case "batch_validated":
      case "batch_quarantined": {
        // Batches reach the pipeline in order: this position is the first one without a place yet.
        if (pass.handed.some((b) => b.position === event.batch)) break;
        const h = pass.handed.find((b) => b.position === null && b.skipped === null);
        if (h) h.position = event.batch;
        break;
      }
      case "checkpoint_saved":
        if (event.kind === "checkpoint") this.acknowledge(pass, (b) => b.skipped === "redelivered" || (b.position !== null && b.position <= event.batch));
        break;
      case "run_finished":
        // The run's state is saved (its final checkpoint was written, or nothing changed since the last).
        this.acknowledge(pass, (b) => b.skipped === "redelivered");
        break;
      default:
        break;
    }
  };

  /**
   * `options` with this source's {@link onEvent} added (yours still called),
   * for `pipeline.runBatches(source, source.runOptions(options))`. Await
   * {@link settled} after the run so its last acknowledgements are sent.
   *
   * @example
   * ```ts
   * import { Pipeline, LinearRegression } from "freshml";
   * import { RedisStreamSource } from "freshml/redis";
   * import { createClient } from "@redis/client";
   * if (process.env.REDIS_URL) {
   *   const client = await createClient({ url: process.env.REDIS_URL }).connect();
   *   const source = new RedisStreamSource({ client, stream: "doc:numeric", blockMs: 10 });
   *   const pipeline = new Pipeline({ trainer: new LinearRegression(), features: ["x"] });
   *   await pipeline.runBatches(source, source.runOptions({ onEvent: (e) => console.log(e.type) }));
   *   await source.settled();
   *   await client.sendCommand(["DEL", "doc:numeric"]);
   *   client.destroy();
   * }
   * ```
   */
  runOptions(options: RunOptions = {}): RunOptions {
    const mine = this.onEvent;
    const theirs = options.onEvent;
    this.runSignal = options.signal;
    return { ...options, onEvent: theirs ? (e) => (mine(e), theirs(e)) : mine };
  }

  /**
   * Runs `pipeline` over one pass of the stream and waits for the
   * acknowledgements; the run's `signal` also ends a following pass.
   * Throws what the run threw, or a failed acknowledgement
   * (`store_unavailable`: those batches come again, and are recognised).
   *
   * @example
   * ```ts
   * import { Pipeline, LinearRegression, Scheduler } from "freshml";
   * import { RedisStreamSource } from "freshml/redis";
   * import { createClient } from "@redis/client";
   * if (process.env.REDIS_URL) {
   *   const client = await createClient({ url: process.env.REDIS_URL }).connect();
   *   const source = new RedisStreamSource({ client, stream: "doc:scheduled", blockMs: 10 });
   *   const pipeline = new Pipeline({ trainer: new LinearRegression(), features: ["x"] });
   *   // Every night at 03:00, learn what arrived (add `lease` to run one leader among replicas).
   *   const scheduler = new Scheduler({ cron: "0 3 * * *", run: ({ signal, reason }) => source.run(pipeline, { signal, trigger: reason }) });
   *   scheduler.start();
   *   await scheduler.stop();
   *   client.destroy();
   * }
   * ```
   */
  async run(pipeline: PipelineRunner, options: RunOptions = {}): Promise<RunReport> {
    let report: RunReport;
    try {
      report = await pipeline.runBatches(this, this.runOptions(options));
    } catch (err) {
      // The run's error is the one to see; its batches not acknowledged come again.
      await this.acks;
      throw err;
    }
    await this.settled();
    return report;
  }

  /** Resolves when every acknowledgement sent so far is done; throws the first of the last pass's that failed. */
  async settled(): Promise<void> {
    await this.acks;
    if (this.current) this.throwAckError(this.current);
  }

  /**
   * The group's backlog: entries pending acknowledgement, recorded batches,
   * entries not read yet.
   *
   * @example
   * ```ts
   * import { createClient } from "@redis/client";
   * import { RedisStreamSource } from "freshml/redis";
   * if (process.env.REDIS_URL) {
   *   const client = await createClient({ url: process.env.REDIS_URL }).connect();
   *   const source = new RedisStreamSource({ client, stream: "doc:status" });
   *   await source.ensureGroup();
   *   console.log(await source.status()); // { pendingEntries: 0, pendingBatches: 0, lag: 0 }
   *   await client.sendCommand(["DEL", "doc:status"]);
   *   client.destroy();
   * }
   * ```
   */
  async status(): Promise<RedisSourceStatus> {
    const pending = await send(this.client, ["XPENDING", this.stream, this.group], "XPENDING");
    const batches = await send(this.client, ["HLEN", this.batchesKey], "HLEN");
    const groups = await send(this.client, ["XINFO", "GROUPS", this.stream], "XINFO GROUPS");
    let lag: number | null = null;
    for (const g of Array.isArray(groups) ? groups : []) {
      const info = flatRecord(g);
      if (String(info.name) === this.group) lag = info.lag === null || info.lag === undefined ? null : Number(info.lag);
    }
    return { pendingEntries: Number(Array.isArray(pending) ? pending[0] : 0), pendingBatches: Number(batches), lag };
  }

  /**
   * Creates the group (and the stream) unless it exists. Every pass does it
   * first; call it to start the group at `startId` before rows arrive.
   *
   * @example
   * ```ts
   * import { createClient } from "@redis/client";
   * import { RedisStreamSource } from "freshml/redis";
   * if (process.env.REDIS_URL) {
   *   const client = await createClient({ url: process.env.REDIS_URL }).connect();
   *   await new RedisStreamSource({ client, stream: "doc:group", startId: "$" }).ensureGroup();
   *   await client.sendCommand(["DEL", "doc:group"]);
   *   client.destroy();
   * }
   * ```
   */
  async ensureGroup(): Promise<void> {
    try {
      await send(this.client, ["XGROUP", "CREATE", this.stream, this.group, this.startId, "MKSTREAM"], "XGROUP CREATE");
    } catch (err) {
      if (err instanceof FreshmlError && err.details.reply === "BUSYGROUP") return;
      throw err;
    }
  }

  // ——— the pass ———

  private async *batches(pass: Pass, runSignal: HostAbortSignal | undefined): AsyncGenerator<IdentifiedRows, void, undefined> {
    await this.ensureGroup();
    // 1. Batches handed over before and not acknowledged: the same entries, the same id.
    const records = await this.records();
    const recorded = new Set<string>();
    for (const ids of records.values()) for (const id of ids) recorded.add(id);
    for (const [first, ids] of records) {
      await this.beforeRead(pass);
      const entries = entriesOf(await send(this.client, ["XCLAIM", this.stream, this.group, this.consumer, "0", ...ids], "XCLAIM"));
      if (entries.length === 0) {
        // Acknowledged already (the process died between XACK and HDEL).
        await send(this.client, ["HDEL", this.batchesKey, first], "HDEL");
        continue;
      }
      const batch = await this.handOver(pass, ids, entries);
      if (batch) yield batch;
    }
    // 2. Entries read but never handed over (a crash before their batch was recorded), from any consumer.
    let cursor = "0-0";
    let leftover: RawEntry[] = [];
    do {
      await this.beforeRead(pass);
      const reply = await send(this.client, ["XAUTOCLAIM", this.stream, this.group, this.consumer, "0", cursor, "COUNT", String(this.batchSize)], "XAUTOCLAIM");
      const parts = Array.isArray(reply) ? reply : [];
      cursor = String(parts[0] ?? "0-0");
      leftover.push(...entriesOf(parts[1]).filter((e) => !recorded.has(e.id)));
      while (leftover.length >= this.batchSize || (cursor === "0-0" && leftover.length > 0)) {
        const chunk = leftover.slice(0, this.batchSize);
        leftover = leftover.slice(this.batchSize);
        const batch = await this.recordAndHandOver(pass, chunk);
        if (batch) yield batch;
      }
    } while (cursor !== "0-0");
    // 3. New entries.
    for (;;) {
      if (this.signal?.aborted || runSignal?.aborted) return;
      await this.beforeRead(pass);
      const reply = await send(
        this.client,
        ["XREADGROUP", "GROUP", this.group, this.consumer, "COUNT", String(this.batchSize), "BLOCK", String(this.blockMs), "STREAMS", this.stream, ">"],
        "XREADGROUP",
      );
      const entries = readReply(reply);
      if (entries.length === 0) {
        if (this.follow) continue;
        return;
      }
      const batch = await this.recordAndHandOver(pass, entries);
      if (batch) yield batch;
    }
  }

  /** Records which entries form the batch (before anyone can learn it), then hands it over. */
  private async recordAndHandOver(pass: Pass, entries: RawEntry[]): Promise<IdentifiedRows | null> {
    const ids = entries.map((e) => e.id);
    await send(this.client, ["HSET", this.batchesKey, ids[0]!, ids.join(" ")], "HSET");
    return this.handOver(pass, ids, entries);
  }

  private async handOver(pass: Pass, ids: readonly string[], entries: RawEntry[]): Promise<IdentifiedRows | null> {
    const id = `redis:${this.stream}:${ids[0]}-${ids[ids.length - 1]}`;
    const rows: unknown[] = [];
    for (const e of entries) if (e.fields !== null) rows.push(decodeRow(e.fields, this.encoding, this.field));
    const handed: Handed = { id, first: ids[0]!, entryIds: ids, position: null, skipped: null };
    if (rows.length === 0) {
      // Every entry was deleted from the stream (trimmed) after it was read: nothing to learn.
      this.sendAck(pass, [handed]);
      return null;
    }
    pass.handed.push(handed);
    return { id, rows };
  }

  /** Recorded batches, oldest first: first entry id → every entry id. */
  private async records(): Promise<Map<string, string[]>> {
    const reply = await send(this.client, ["HGETALL", this.batchesKey], "HGETALL");
    const pairs: [string, string][] = [];
    if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([String(reply[i]), String(reply[i + 1])]);
    else if (reply && typeof reply === "object") for (const [k, v] of reply instanceof Map ? reply.entries() : Object.entries(reply)) pairs.push([String(k), String(v)]);
    pairs.sort((a, b) => compareIds(a[0], b[0]));
    return new Map(pairs.map(([first, ids]) => [first, ids.split(" ").filter((s) => s.length > 0)]));
  }

  /** Acknowledgements go first (a failed one fails the pass), then the next read. */
  private async beforeRead(pass: Pass): Promise<void> {
    await this.acks;
    this.throwAckError(pass);
  }

  private throwAckError(pass: Pass): void {
    const err = pass.ackError;
    if (err === null) return;
    pass.ackError = null;
    throw err;
  }

  private acknowledge(pass: Pass, done: (b: Handed) => boolean): void {
    const batches = pass.handed.filter(done);
    if (batches.length === 0) return;
    pass.handed = pass.handed.filter((b) => !done(b));
    this.sendAck(pass, batches);
  }

  /**
   * XACK, then the records, pipelined on the connection (Redis runs them in
   * order): a crash in between leaves a record of entries no longer pending,
   * which the next pass drops. Never the other way round, or pending entries
   * would lose the record that keeps their batch whole.
   */
  private sendAck(pass: Pass, batches: readonly Handed[]): void {
    const ids = batches.flatMap((b) => b.entryIds);
    const firsts = batches.map((b) => b.first);
    this.acks = this.acks
      .then(async () => {
        const acked = send(this.client, ["XACK", this.stream, this.group, ...ids], "XACK");
        const dropped = send(this.client, ["HDEL", this.batchesKey, ...firsts], "HDEL");
        await Promise.all([acked, dropped.catch(() => undefined)]);
        await dropped;
      })
      .catch((err: unknown) => {
        pass.ackError ??= err;
      });
  }
}

/** XINFO's flat `[key, value, key, value]` (or a RESP3 map) as an object. */
function flatRecord(reply: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  else if (reply instanceof Map) for (const [k, v] of reply) out[String(k)] = v;
  else if (reply && typeof reply === "object") Object.assign(out, reply);
  return out;
}
