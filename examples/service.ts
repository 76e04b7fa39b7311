/**
 * A live service: an HTTP server answers predictions from the current
 * champion while retraining runs in the background — on a timetable and
 * whenever enough new rows have arrived — and swaps in a new champion when
 * one is promoted. A request is answered by one whole model version: the
 * serving model is an immutable snapshot, replaced by a single assignment.
 *
 * Retraining runs in the service's own thread (it hands the event loop back
 * every few ms), or with `retrainIn: "worker"` in a worker thread
 * (`WorkerPipeline`), so a long run never delays an answer; the pipeline is
 * defined once, in examples/service-pipeline.ts, for both.
 *
 *   npx tsx examples/service.ts          # then: curl 'localhost:3000/predict?temp=21&hour=14'
 *
 * Endpoints: GET /predict?temp=&hour= → { version, prediction };
 *            POST /observe (JSON rows { temp, hour, load }) → buffered for retraining.
 */
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MemoryModelStore, RowBuffer, Scheduler, everyNRows, loadModel, SeededRandom, type ModelStore, type RunOptions, type RunReport, type ServingModel, type SourceBatch } from "freshml";
import { FileModelStore, WorkerPipeline } from "freshml/node";
import { Row, createPipeline } from "./service-pipeline.js";

export { Row };

/** The model that answers requests: replaced whole, never changed in place. */
interface Serving {
  readonly version: number;
  readonly model: ServingModel;
}

export interface Service {
  /** The port it listens on. */
  port: number;
  /** Adds observed rows; retraining starts once `batchRows` × `batchesPerRun` rows wait. */
  observe(rows: Row[]): void;
  /** Reports of the retraining runs so far. */
  reports: RunReport[];
  /** Waits for the retraining in flight, stops the schedule and the server. */
  close(): Promise<void>;
  /** The version serving now (null before the first champion). */
  servingVersion(): number | null;
  /** True while a retraining run is in progress. */
  retraining(): boolean;
}

export interface ServiceOptions {
  /** Where versions go. Default a MemoryModelStore (in-thread), a FileModelStore in a temp folder (worker). */
  store?: ModelStore;
  port?: number;
  batchRows?: number;
  batchesPerRun?: number;
  cron?: string;
  /** Where retraining runs: this thread (default) or a worker thread (needs a FileModelStore). */
  retrainIn?: "thread" | "worker";
  /**
   * The worker thread's `niceIncrement` (WorkerPipeline's default 19: answers come first, but a
   * worker at 19 all but stops while this thread and the machine's other cores are busy).
   */
  niceIncrement?: number;
}

/** What retrains: the pipeline here, or the same pipeline in a worker thread. */
interface Retrainer {
  runBatches(source: Iterable<SourceBatch>, options: RunOptions): Promise<RunReport>;
  close(): Promise<void>;
}

export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const { port = 0, batchRows = 200, batchesPerRun = 1, cron = "*/5 * * * *", retrainIn = "thread" } = options;
  const store = options.store ?? (retrainIn === "worker" ? new FileModelStore(mkdtempSync(join(tmpdir(), "freshml-service-"))) : new MemoryModelStore());
  let retrainer: Retrainer;
  if (retrainIn === "worker") {
    if (!(store instanceof FileModelStore)) throw new Error("retraining in a worker needs a FileModelStore");
    // The worker imports the pipeline module and builds the same pipeline on the same folder.
    retrainer = new WorkerPipeline({
      module: fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "./service-pipeline.ts" : "./service-pipeline.js", import.meta.url)),
      store,
      ...(options.niceIncrement === undefined ? {} : { niceIncrement: options.niceIncrement }),
    });
  } else {
    const pipeline = createPipeline({ store });
    retrainer = { runBatches: (source, o) => pipeline.runBatches(source, o), close: async () => undefined };
  }
  let running = false;
  let serving: Serving | null = null;
  const refresh = async (): Promise<void> => {
    const version = await store.resolveAlias("load", "champion");
    if (version === null || version === serving?.version) return;
    // Load the new version completely (trainer and featurizer), then swap it in with one assignment.
    serving = Object.freeze({ version, model: await loadModel(store, "load", version) });
  };
  await refresh();
  // Promotions can come at every batch: load one champion at a time, and then only the newest.
  let loading: Promise<void> | null = null;
  let stale = false;
  const refreshSoon = (): void => {
    if (loading) {
      stale = true;
      return;
    }
    loading = refresh()
      .catch((err: unknown) => console.error("loading the new champion failed:", err))
      .finally(() => {
        loading = null;
        if (stale) {
          stale = false;
          refreshSoon();
        }
      });
  };

  const buffer = new RowBuffer<Row>({ batchRows });
  const reports: RunReport[] = [];
  const scheduler = new Scheduler({
    cron,
    triggers: [everyNRows(buffer as RowBuffer<unknown>, batchRows * batchesPerRun)],
    run: async ({ signal, reason }) => {
      running = true;
      try {
        const report = await retrainer.runBatches(buffer.takeBatches(), {
          signal,
          trigger: reason,
          onEvent: (e) => {
            if (e.type === "checkpoint_saved" && e.kind === "champion") refreshSoon();
          },
        });
        await refresh();
        reports.push(report);
        return report;
      } finally {
        running = false;
      }
    },
    onEvent: (e) => {
      if (e.type === "run_failed") console.error(`retraining failed (${e.reason}):`, e.error);
    },
  });
  scheduler.start();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && url.pathname === "/predict") {
      const snapshot = serving; // one read: the whole request uses this version
      if (!snapshot) return send(503, { error: "no model yet" });
      // A row object straight from the query: the stored model checks and featurises it itself.
      const row = { temp: Number(url.searchParams.get("temp")), hour: Number(url.searchParams.get("hour")) };
      try {
        return send(200, { version: snapshot.version, prediction: snapshot.model.predictRows([row])[0] });
      } catch (err) {
        return send(400, { error: (err as Error).message });
      }
    }
    if (req.method === "POST" && url.pathname === "/observe") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        try {
          const rows = JSON.parse(body) as Row[];
          buffer.push(rows);
          scheduler.poke();
          send(202, { buffered: buffer.size });
        } catch {
          send(400, { error: "expected a JSON array of rows" });
        }
      });
      return;
    }
    send(404, { error: "GET /predict or POST /observe" });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    observe(rows: Row[]): void {
      buffer.push(rows);
      scheduler.poke();
    },
    reports,
    servingVersion: () => serving?.version ?? null,
    retraining: () => running,
    async close(): Promise<void> {
      await scheduler.stop();
      await retrainer.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Synthetic observations: load grows with temperature and follows the day. */
export function observations(seed: number, n: number, shift = 0): Row[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const temp = 15 + 10 * rng.nextGaussian() * 0.5;
    const hour = i % 24;
    return { temp, hour, load: 40 + 1.5 * temp + 0.8 * hour + shift + rng.nextGaussian() };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const service = await startService({ port: Number(process.env.PORT ?? 3000), retrainIn: process.env.RETRAIN_IN === "thread" ? "thread" : "worker" });
  console.log(`serving on http://127.0.0.1:${service.port}  (GET /predict?temp=21&hour=14, POST /observe)`);
  let k = 0;
  // A simulated feed: new observations every 2 seconds, drifting after a while.
  const feed = setInterval(() => service.observe(observations(++k, 100, k > 10 ? 8 : 0)), 2000);
  process.on("SIGINT", async () => {
    clearInterval(feed);
    await service.close();
    console.log(`stopped; ${service.reports.length} retraining runs, serving v${service.servingVersion()}`);
    process.exit(0);
  });
}
