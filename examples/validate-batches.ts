/**
 * Checking batches before anything learns from them: schema, quality, drift,
 * and a stream detector on the model's error.
 *
 *   npx tsx examples/validate-batches.ts
 */
import * as z from "zod";
import { ADWIN, LinearRegression, driftCheck, qualityChecks, runValidators, schemaValidator, SeededRandom } from "freshml";

const Row = z.object({ temp: z.number().min(-40).max(50), hour: z.number().int().min(0).max(23), load: z.number() });
const rows = schemaValidator(Row);
const validators = [qualityChecks({ maxMissingRate: 0.01, ranges: rows.ranges }), driftCheck()];
const model = new LinearRegression({ l2: 1e-3 });
const errors = new ADWIN();
const rng = new SeededRandom(3);

function batch(k: number, warm: number): unknown[] {
  return Array.from({ length: 200 }, (_, i) => {
    const temp = warm + 4 * rng.nextGaussian();
    const hour = i % 24;
    return { temp, hour, load: 50 + 2 * temp + 3 * Math.sin((hour / 24) * 2 * Math.PI) + rng.nextGaussian() + (k >= 6 ? 15 : 0) };
  });
}

for (let k = 0; k < 10; k++) {
  const raw = batch(k, k < 4 ? 10 : 25); // it gets warmer from batch 4; the load shifts at batch 6
  if (k === 3) raw[17] = { temp: "n/a", hour: 25, load: 1 }; // a broken row
  const checked = rows.check(raw);
  if (!checked.ok) {
    console.log(`batch ${k}: quarantined — ${checked.issues.map((i) => i.message).join("; ")}`);
    continue;
  }
  const table = checked.table!;
  const result = runValidators(validators, table, { batchIndex: k });
  const drifted = result.drift?.columns.filter((c) => c.drifted).map((c) => `${c.column} (${c.test} ${(c.score ?? NaN).toFixed(3)})`) ?? [];
  const X = (["temp", "hour"] as const).map((c) => (table.columns.get(c) as { values: Float64Array }).values);
  const y = (table.columns.get("load") as { values: Float64Array }).values;
  const features = Array.from({ length: table.rows }, (_, i) => [X[0]![i]!, X[1]![i]!]);
  let detector = "";
  if (model.nSeen > 0) {
    const pred = model.predict(features);
    for (let i = 0; i < y.length; i++) {
      errors.update(Math.abs(pred[i]! - y[i]!));
      if (errors.driftDetected) detector = ` · ADWIN: error stream changed at row ${i}`;
    }
  }
  console.log(`batch ${k}: ${result.ok ? "accepted" : "quarantined"}${drifted.length ? ` · drift warning: ${drifted.join(", ")}` : ""}${detector}`);
  if (!result.ok) continue;
  for (const v of validators) v.accept?.(table);
  model.update({ X: features, y });
}
