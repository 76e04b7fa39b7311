/**
 * Producer and consumer processes for the Redis process test (not a test itself).
 *   produce <url> <stream> <producer> <count> <chunk>
 *       XADD <count> rows (seeded by the producer number) in chunks, then exit
 *   consume <url> <stream> <storeDir> <consumer> <seed> <batchSize>
 *       learn the stream into a FileModelStore, run after run, until a run
 *       finds nothing new and the key "<stream>:producers-done" is set; then exit 0.
 *       Prints "ready" at the pipeline's first event, "ackdelay" before an XACK it
 *       holds back 40 ms (seeded, 1 in 3: a slow link, so that a kill can land
 *       between a saved checkpoint and its ack), "skip <id>" for a batch
 *       recognised as learned.
 */
import { createClient } from "@redis/client";
import { SeededRandom } from "../../src/index.js";
import { FileModelStore } from "../../src/node/index.js";
import { RedisStreamSource, addRows, type RedisCommandClient } from "../../src/redis/index.js";
import { makePipeline, makeRows } from "./helpers.js";

const [mode, url, stream, ...rest] = process.argv.slice(2);
const client = createClient({ url: url! });
client.on("error", () => undefined);
await client.connect();
const say = (line: string): void => void process.stdout.write(`${line}\n`);

if (mode === "produce") {
  const [producer, count, chunk] = rest.map(Number) as [number, number, number];
  const rows = makeRows(1000 + producer, count, producer);
  for (let i = 0; i < count; i += chunk) await addRows(client, stream!, rows.slice(i, i + chunk));
  client.destroy();
} else if (mode === "consume") {
  const [storeDir, consumer, seed, batchSize] = rest as [string, string, string, string];
  const rng = new SeededRandom(Number(seed));
  const slowAcks: RedisCommandClient = {
    sendCommand: async (args) => {
      if (args[0] === "XACK" && rng.next() < 1 / 3) {
        say("ackdelay");
        await new Promise((r) => setTimeout(r, 40));
      }
      return client.sendCommand(args);
    },
  };
  const store = new FileModelStore(storeDir);
  const source = new RedisStreamSource({ client: slowAcks, stream: stream!, consumer, batchSize: Number(batchSize), blockMs: 50 });
  // A checkpoint every 2 batches: acknowledgements then lag behind learning, and a kill in between re-delivers learned, unsaved batches.
  const pipeline = makePipeline(store, "model", { every: 2 });
  let ready = false;
  for (;;) {
    const report = await source.run(pipeline, {
      onEvent: (e) => {
        if (!ready) say("ready");
        ready = true;
        if (e.type === "batch_skipped") say(`skip ${e.id}`);
      },
    });
    if (report.batches.total + report.batches.skipped === 0 && (await client.get(`${stream}:producers-done`)) === "1") break;
  }
  say("finished");
  client.destroy();
}
