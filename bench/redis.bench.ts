/**
 * Rows/s into a pipeline from a Redis stream (RedisStreamSource on a
 * throwaway local redis-server, unix socket, no persistence) beside the same
 * rows from memory (an array of batches), in one run: same pipeline
 * (LinearRegression, schema of d = 8 numbers, MemoryModelStore, a checkpoint
 * per batch), same batches of 1,000 rows. The Redis figure includes reading
 * (XREADGROUP), recording each batch, decoding JSON rows and acknowledging
 * after each checkpoint; the producer's XADD rate is reported apart.
 *
 *   npm run bench:redis     (needs redis-server; skipped with a message without it)
 *
 * Results: printed and written to bench/results/redis-<time>.{json,txt}.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { LinearRegression, MemoryModelStore, Pipeline, SeededRandom, VERSION } from "../src/index.js";
import { RedisStreamSource, addRows } from "../src/redis/index.js";
import { redisUnavailableReason, startRedisServer } from "../test/redis/redis-server.js";

const ROWS = 50_000;
const BATCH = 1000;
const D = 8;
const REPEATS = 5;
const features = Array.from({ length: D }, (_, j) => `x${j}`);
const Row = z.object(Object.fromEntries([...features, "y"].map((f) => [f, z.number()])));

function rows(seed: number): Record<string, number>[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: ROWS }, () => {
    const r: Record<string, number> = {};
    let y = 0.5;
    for (const f of features) y += (r[f] = rng.nextGaussian()) * 0.7;
    r.y = y + rng.nextGaussian() * 0.1;
    return r;
  });
}

const pipeline = () => new Pipeline({ schema: Row, features, target: "y", trainer: new LinearRegression(), store: new MemoryModelStore(), detector: null });
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

const reason = redisUnavailableReason();
if (reason) {
  console.log(`bench:redis skipped — ${reason}`);
} else {
  const server = await startRedisServer();
  const client = await server.client();
  const data = rows(1);
  const memory: number[] = [];
  const redis: number[] = [];
  const produce: number[] = [];
  for (let k = 0; k < REPEATS; k++) {
    const stream = `bench-${k}`;
    // Producer: XADD every row (one entry each, pipelined).
    let t = performance.now();
    await addRows(client, stream, data);
    produce.push(ROWS / ((performance.now() - t) / 1000));
    // Memory, then Redis, alternating in one process so both see the same load.
    const batches = Array.from({ length: ROWS / BATCH }, (_, b) => data.slice(b * BATCH, (b + 1) * BATCH));
    t = performance.now();
    const m = await pipeline().runBatches(batches);
    memory.push(m.rows.learned / ((performance.now() - t) / 1000));
    const source = new RedisStreamSource({ client, stream, batchSize: BATCH, blockMs: 5 });
    t = performance.now();
    const r = await source.run(pipeline());
    redis.push(r.rows.learned / ((performance.now() - t) / 1000));
    if (m.rows.learned !== ROWS || r.rows.learned !== ROWS) throw new Error(`learned ${m.rows.learned} / ${r.rows.learned} of ${ROWS}`);
    await client.sendCommand(["DEL", stream, source.batchesKey]);
  }
  await server.stop();
  const result = {
    version: VERSION,
    host: { cpus: cpus().length, loadavg: loadavg().map((x) => Math.round(x * 100) / 100), node: process.version },
    rows: ROWS,
    batch: BATCH,
    d: D,
    repeats: REPEATS,
    memoryRowsPerSec: Math.round(median(memory)),
    redisRowsPerSec: Math.round(median(redis)),
    redisOverMemory: Math.round((median(redis) / median(memory)) * 100) / 100,
    producerXaddRowsPerSec: Math.round(median(produce)),
    runs: { memory: memory.map(Math.round), redis: redis.map(Math.round), produce: produce.map(Math.round) },
  };
  const text = [
    `freshml ${VERSION} — Redis source vs memory source, ${ROWS} rows, batches of ${BATCH}, d = ${D}, median of ${REPEATS} (load ${result.host.loadavg.join(" ")})`,
    `  memory source   ${result.memoryRowsPerSec.toLocaleString("en")} rows/s`,
    `  Redis source    ${result.redisRowsPerSec.toLocaleString("en")} rows/s   (${result.redisOverMemory}× memory)`,
    `  producer XADD   ${result.producerXaddRowsPerSec.toLocaleString("en")} rows/s`,
  ].join("\n");
  console.log(text);
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  writeFileSync(join(dir, `redis-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(dir, `redis-${stamp}.txt`), `${text}\n`);
}
