/**
 * The service's retraining pipeline, in a module of its own so that it can be
 * built in the service's thread or inside a worker thread (`WorkerPipeline`
 * imports this module there: schemas, validators and trainers cannot cross
 * threads as objects).
 */
import { z } from "zod";
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
