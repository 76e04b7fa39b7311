/**
 * A process hosting a WorkerPipeline, for test/node/worker-kill.process.test.ts
 * (not a test itself):
 *   tsx worker-child.ts <root> <batches>
 * runs the fixture pipeline in a worker thread over the numbered batches on a
 * FileModelStore at <root>, printing "saved <n>" at each checkpoint and, at
 * the end, "done <report summary as JSON>".
 */
import { fileURLToPath } from "node:url";
import { FileModelStore, WorkerPipeline } from "../../src/node/index.js";
import { idBatches } from "./fixtures/worker-pipeline-module.js";

const [root, count] = process.argv.slice(2);
const module = fileURLToPath(new URL("./fixtures/worker-pipeline-module.ts", import.meta.url));
const w = new WorkerPipeline({ module, store: new FileModelStore(root!) });
let saved = 0;
const report = await w.runBatches(idBatches(Number(count)), {
  onEvent: (e) => {
    if (e.type === "checkpoint_saved") process.stdout.write(`saved ${++saved}\n`);
  },
});
await w.close();
process.stdout.write(`done ${JSON.stringify({ status: report.status, accepted: report.batches.accepted, skipped: report.batches.skipped, restored: report.restoredFrom !== undefined, champion: report.championVersion })}\n`);
