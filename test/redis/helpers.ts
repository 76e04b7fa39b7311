/** Rows, pipelines and the exact-fit check shared by the Redis tests (not a test itself). */
import { z } from "zod";
import { LinearRegression, Pipeline, SeededRandom, type CheckpointCadence, type ModelStore, type TrainerJSON } from "../../src/index.js";

export const Row = z.object({ x1: z.number(), x2: z.number(), y: z.number() });
export type Row = z.infer<typeof Row>;

/** Rows with noise, so a row learned twice changes every statistic (not only `n`). */
export function makeRows(seed: number, count: number, tag = 0): Row[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () => {
    const x1 = rng.nextGaussian() * 3 + tag;
    const x2 = rng.nextGaussian();
    return { x1, x2, y: 2 * x1 - x2 + 0.5 + rng.nextGaussian() * 0.3 };
  });
}

/** The pipeline every Redis test learns with: an exact learner, whatever the batching. */
export function makePipeline(store: ModelStore, name = "model", checkpoint: CheckpointCadence = "every-batch"): Pipeline<typeof Row> {
  return new Pipeline({ name, schema: Row, features: ["x1", "x2"], target: "y", trainer: new LinearRegression(), store, detector: null, checkpoint });
}

/** One sequential fit on all rows: the reference the pipeline's learning state must equal. */
export function sequentialFit(rows: readonly Row[]): TrainerJSON {
  const m = new LinearRegression();
  m.update({ X: rows.map((r) => [r.x1, r.x2]), y: rows.map((r) => r.y) });
  return m.toJSON();
}

interface Stats {
  n: number;
  meanX: number[];
  meanY: number;
  sxx: number[];
  sxy: number[];
  syy: number;
}

/** Largest relative difference between two LinearRegression states; `n` must match exactly. */
export function stateDifference(actual: TrainerJSON, expected: TrainerJSON): { n: [number, number]; maxRelative: number } {
  const a = actual.state as Stats;
  const e = expected.state as Stats;
  const pairs: Array<[number, number]> = [[a.meanY, e.meanY], [a.syy, e.syy]];
  for (const k of ["meanX", "sxx", "sxy"] as const) a[k].forEach((v, i) => pairs.push([v, e[k][i]!]));
  let maxRelative = 0;
  for (const [x, y] of pairs) maxRelative = Math.max(maxRelative, Math.abs(x - y) / Math.max(Math.abs(y), 1e-12));
  return { n: [a.n, e.n], maxRelative };
}
