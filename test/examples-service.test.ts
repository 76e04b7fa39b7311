import { describe, expect, it } from "vitest";
import { MemoryModelStore, loadModel, type ServingModel } from "../src/index.js";
import { observations, startService } from "../examples/service.js";

describe("examples/service.ts: predictions during champion swaps", () => {
  it("answers every request from one whole model version, while retraining swaps champions", async () => {
    const store = new MemoryModelStore();
    const service = await startService({ store, batchRows: 100 });
    try {
      const base = `http://127.0.0.1:${service.port}`;
      expect((await fetch(`${base}/predict?temp=20&hour=3`)).status).toBe(503); // no model yet
      service.observe(observations(1, 100));
      while (service.servingVersion() === null) await new Promise((r) => setImmediate(r));
      const answers: Array<{ version: number; prediction: number; temp: number; hour: number }> = [];
      // Fire requests continuously while new data drifts in and retraining promotes new champions.
      for (let round = 0; round < 12; round++) {
        const requests = Array.from({ length: 25 }, (_, i) => {
          const temp = 10 + i;
          const hour = (round + i) % 24;
          return fetch(`${base}/predict?temp=${temp}&hour=${hour}`)
            .then((r) => r.json() as Promise<{ version: number; prediction: number }>)
            .then((a) => answers.push({ ...a, temp, hour }));
        });
        service.observe(observations(100 + round, 100, round * 3)); // drifting: new champions
        await Promise.all(requests);
      }
      // A bad row is a 400 naming the field, from the stored model's own checks.
      const bad = await fetch(`${base}/predict?temp=hot&hour=3`);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/temp/);
      await service.close();
      const versions = new Set(answers.map((a) => a.version));
      expect(versions.size).toBeGreaterThan(1); // swaps happened while requests were answered
      // Each answer is exactly what its version predicts: no request saw a half-loaded model.
      const models = new Map<number, ServingModel>();
      for (const v of versions) models.set(v, await loadModel(store, "load", v));
      for (const a of answers) expect(a.prediction).toBe(models.get(a.version)!.predictRows([{ temp: a.temp, hour: a.hour }])[0]);
      expect(service.reports.length).toBeGreaterThan(1);
      expect(service.reports.every((r) => r.trigger?.startsWith("every-n-rows"))).toBe(true);
    } finally {
      await service.close().catch(() => undefined);
    }
  });
});
