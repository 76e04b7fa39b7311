/**
 * The service's retraining pipeline, in a module of its own so that it can be
 * built in the service's thread or inside a worker thread (`WorkerPipeline`
 * imports this module there: schemas, validators and trainers cannot cross
 * threads as objects).
 */
import * as z from "zod";
import { LinearRegression, Pipeline, qualityChecks, type ModelStore } from "freshml";

export const Row = z.object({ temp: z.number().min(-40).max(50), hour: z.number().int().min(0).max(23), load: z.number() });
export type Row = z.infer<typeof Row>;

/** The pipeline, on the store it is given (in a worker: the FileModelStore the worker opened). */
export function createPipeline({ store }: { store: ModelStore }): Pipeline {
  return new Pipeline({
    name: "load",
    schema: Row,
    target: "load",
    validators: [qualityChecks({ maxMissingRate: 0 })],
    trainer: new LinearRegression({ l2: 1e-3 }),
    store,
    gate: { minRows: 50 },
  });
}

/**
 * The service's data, read inside the worker (a `WorkerSource`): here `days`
 * days of hourly readings made up on the spot; a real service would read
 * them from its database or files. Each day is one batch with a stable id, so
 * a day learned once is never learned again.
 */
export function* createSource({ args }: { args: { days: number; from?: number } }): Generator<{ id: string; rows: Row[] }> {
  const from = args.from ?? 0;
  for (let day = from; day < from + args.days; day++) {
    const rows = Array.from({ length: 24 }, (_, hour) => {
      const temp = 10 + 12 * Math.sin(((day * 24 + hour) / 24 / 365) * 2 * Math.PI) + 6 * Math.sin(((hour - 9) / 24) * 2 * Math.PI);
      return { temp, hour, load: 40 + 1.5 * temp + 0.8 * hour + Math.sin(day * 7 + hour * 3) };
    });
    yield { id: `day-${day}`, rows };
  }
}
