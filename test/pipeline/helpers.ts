import { z } from "zod";
import { SeededRandom, type AcceptedBatchRecord, type BatchRecord } from "../../src/index.js";

export const Row = z.object({ temp: z.number().min(-50).max(60), hour: z.number().int().min(0).max(23), day: z.enum(["wk", "we"]), load: z.number() });
export type R = z.infer<typeof Row>;

/** Rows of a load-like series: load = 10 + 2·temp + 0.5·hour − 5 on weekends + shift + noise. */
export function rowBatch(seed: number, n = 60, shift = 0): R[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const temp = 20 + 8 * rng.nextGaussian();
    const hour = i % 24;
    const day = rng.next() < 0.3 ? "we" : "wk";
    return { temp, hour, day, load: 10 + 2 * temp + 0.5 * hour + (day === "we" ? -5 : 0) + shift + 0.5 * rng.nextGaussian() };
  });
}

/** A row batch with one row that breaks the schema. */
export const badBatch = (seed: number): unknown[] => {
  const b: unknown[] = rowBatch(seed, 20);
  b[3] = { temp: "hot", hour: 25, day: "xx" };
  return b;
};

/** y = 1 + x0 − 2·x1 (+ slope change) + noise, 3 columns. */
export function numericBatch(seed: number, n = 50, slope = -2): { X: Float64Array; cols: number; y: Float64Array } {
  const rng = new SeededRandom(seed);
  const X = Float64Array.from({ length: n * 3 }, () => rng.nextGaussian());
  const y = Float64Array.from({ length: n }, (_, i) => 1 + X[i * 3]! + slope * X[i * 3 + 1]! + 0.1 * rng.nextGaussian());
  return { X, cols: 3, y };
}

/** The same batch as a binary classification batch (y > 1). */
export function classBatch(seed: number, n = 50): { X: Float64Array; cols: number; y: Float64Array } {
  const b = numericBatch(seed, n);
  return { ...b, y: b.y.map((v) => (v > 1 ? 1 : 0)) };
}

/** The record as an accepted one (fails the test otherwise). */
export function accepted(rec: BatchRecord | undefined): AcceptedBatchRecord {
  if (!rec || rec.status !== "accepted") throw new Error(`expected an accepted batch record, got ${JSON.stringify(rec)}`);
  return rec;
}
