/**
 * A live service: an HTTP server answers predictions from the current
 * champion while retraining runs in the background — on a timetable and
 * whenever enough new rows have arrived — and swaps in a new champion when
 * one is promoted. A request is answered by one whole model version: the
 * serving model is an immutable snapshot, replaced by a single assignment.
 *
 *   npx tsx examples/service.ts          # then: curl 'localhost:3000/predict?temp=21&hour=14'
 *
 * Endpoints: GET /predict?temp=&hour= → { version, prediction };
 *            POST /observe (JSON rows { temp, hour, load }) → buffered for retraining.
 */
import { createServer, type Server } from "node:http";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import {
  LinearRegression,
  MemoryModelStore,
  Pipeline,
  RowBuffer,
  Scheduler,
  everyNRows,
  qualityChecks,
  loadModel,
  SeededRandom,
  type ModelStore,
  type RunReport,
  type ServingModel,
} from "freshml";

export const Row = z.object({ temp: z.number().min(-40).max(50), hour: z.number().int().min(0).max(23), load: z.number() });
export type Row = z.infer<typeof Row>;

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
}

export async function startService(options: { store?: ModelStore; port?: number; batchRows?: number; batchesPerRun?: number; cron?: string } = {}): Promise<Service> {
  const { store = new MemoryModelStore(), port = 0, batchRows = 200, batchesPerRun = 1, cron = "*/5 * * * *" } = options;
  const pipeline = new Pipeline({
    name: "load",
    schema: Row,
    target: "load",
    validators: [qualityChecks({ maxMissingRate: 0 })],
    trainer: new LinearRegression({ l2: 1e-3 }),
    store,
    gate: { minRows: 50 },
  });
  let serving: Serving | null = null;
  const refresh = async (): Promise<void> => {
    const version = await store.resolveAlias("load", "champion");
    if (version === null || version === serving?.version) return;
    // Load the new version completely (trainer and featurizer), then swap it in with one assignment.
    serving = Object.freeze({ version, model: await loadModel(store, "load", version) });
  };
  await refresh();

  const buffer = new RowBuffer<Row>({ batchRows });
  const reports: RunReport[] = [];
  const scheduler = new Scheduler({
    cron,
    triggers: [everyNRows(buffer as RowBuffer<unknown>, batchRows * batchesPerRun)],
    run: async ({ signal, reason }) => {
      const report = await pipeline.runBatches(buffer.takeBatches(), {
        signal,
        trigger: reason,
        onEvent: (e) => {
          if (e.type === "checkpoint_saved" && e.kind === "champion") void refresh();
        },
      });
      await refresh();
      reports.push(report);
      return report;
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
    async close(): Promise<void> {
      await scheduler.stop();
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
  const service = await startService({ port: Number(process.env.PORT ?? 3000) });
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
