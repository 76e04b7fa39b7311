/**
 * A writer process for the FileModelStore process tests (not a test itself).
 *   loop  <root> <seed>            put + move champion (and now and then roll back or prune) forever
 *   puts  <root> <writer> <count>  put <count> versions tagged with the writer, then exit
 *   checkpoints <root> <writer> <count>  write <count> checkpoints of "model" marked with the writer, then exit
 *   crash-at <root> <link|rename> <file> <nth>  put versions until the nth fs link/rename onto a file named
 *                                  <file>, and SIGKILL itself at that instant (before the call runs)
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { basename } from "node:path";
import { FileModelStore } from "../../src/node/index.js";
import { LinearRegression, SeededRandom } from "../../src/index.js";

const [mode, root, a, b] = process.argv.slice(2);
const store = new FileModelStore(root!);

function record(seq: number, writer: string) {
  const m = new LinearRegression({ l2: 0.01 });
  const rng = new SeededRandom(seq);
  // Big enough that a write takes a while: 30 features → 900 statistics.
  const X = Array.from({ length: 40 }, () => Array.from({ length: 30 }, () => rng.nextGaussian()));
  m.update({ X, y: X.map((r) => r[0]! + rng.nextGaussian()) });
  return { name: "model", trainer: m.toJSON(), metrics: { rmse: seq }, tags: { writer, seq: String(seq) } };
}

/** A pipeline-state-sized array; the process test recomputes it (same formula) to check the file is whole. */
function checkpointWindow(seq: number): number[] {
  return Array.from({ length: 500 }, (_, i) => Math.sin(seq * 1000 + i) / 3);
}

if (mode === "loop") {
  const rng = new SeededRandom(Number(a));
  for (let i = 0; ; i++) {
    const v = await store.put(record(i, String(process.pid)));
    await store.setAlias("model", "champion", v);
    if (i === 0) process.stdout.write("ready\n");
    const r = rng.next();
    if (r < 0.15) {
      await store.rollback("model", "champion").catch(() => undefined);
      // Now and then delete everything but the (rolled back) champion: the newest versions go.
      if (r < 0.05) await store.prune("model", { keep: 0 });
    } else if (r < 0.2) await store.prune("model", { keep: 20 });
  }
} else if (mode === "puts") {
  const count = Number(b);
  for (let i = 0; i < count; i++) await store.put(record(i, a!));
} else if (mode === "checkpoints") {
  const count = Number(b);
  for (let i = 0; i < count; i++) {
    const { trainer } = record(i, a!);
    await store.putCheckpoint({ name: "model", champion: i + 1, trainer, state: { writer: a, seq: i, window: checkpointWindow(i) } });
  }
} else if (mode === "crash-at") {
  // Wrap fs.promises[link|rename] and push the change into the ESM bindings the store imported,
  // so this process dies at one exact instant of a put.
  const op = a as "link" | "rename";
  const [file, nth] = process.argv.slice(5);
  const original = fs.promises[op];
  let calls = 0;
  fs.promises[op] = (async (from: string, to: string) => {
    if (basename(String(to)) === file && ++calls === Number(nth)) process.kill(process.pid, "SIGKILL");
    return original(from, to);
  }) as typeof original;
  syncBuiltinESMExports();
  for (let i = 0; ; i++) await store.put(record(i, String(process.pid)));
} else {
  throw new Error(`unknown mode ${mode}`);
}
