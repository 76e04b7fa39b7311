/**
 * The README's validators on real data: daily Seattle weather 2012–2015
 * (examples/data/seattle-weather.csv, NOAA National Climatic Data Center via
 * vega-datasets, U.S. Government work), in calendar-month batches (48
 * batches of 28–31 rows). Clean months: no errors, and a warning rate stated
 * in docs/validation.md. Each corruption, injected into one month of an
 * otherwise clean run, is caught in that month.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { driftCheck, groupIssues, SeededRandom, qualityChecks, runValidators, schemaValidator, type ValidationIssue } from "../../src/index.js";

const WEATHER = ["drizzle", "rain", "sun", "snow", "fog"] as const;
// Every measurement may be missing (real feeds have gaps); the weather label is required.
const Day = z.object({
  precipitation: z.number().min(0).optional(),
  temp_max: z.number().optional(),
  temp_min: z.number().optional(),
  wind: z.number().min(0).optional(),
  weather: z.enum(WEATHER),
});
type DayRow = Record<string, unknown>;

function months(): DayRow[][] {
  const text = readFileSync(fileURLToPath(new URL("../../examples/data/seattle-weather.csv", import.meta.url)), "utf8");
  const out = new Map<string, DayRow[]>();
  for (const line of text.trim().split("\n").slice(1)) {
    const [date, precipitation, tmax, tmin, wind, weather] = line.split(",") as [string, string, string, string, string, string];
    const key = date.slice(0, 7);
    if (!out.has(key)) out.set(key, []);
    out.get(key)!.push({ precipitation: Number(precipitation), temp_max: Number(tmax), temp_min: Number(tmin), wind: Number(wind), weather });
  }
  return [...out.values()];
}

/** The README's validators (docs/validation.md), with the label to condition drift on. */
function readmeValidators() {
  return [qualityChecks({ maxMissingRate: 0.01, learnRanges: {} }), driftCheck({ by: "weather" })];
}

interface Outcome {
  ok: boolean;
  issues: readonly ValidationIssue[];
}

/** Runs the months through schema + the README validators; accepted months feed the validators. */
function run(batches: DayRow[][]): Outcome[] {
  const rows = schemaValidator(Day);
  const validators = readmeValidators();
  return batches.map((batch, batchIndex) => {
    const checked = rows.check(batch);
    if (!checked.ok) return { ok: false, issues: checked.issues };
    const result = runValidators(validators, checked.table!, { batchIndex });
    if (result.ok) for (const v of validators) v.accept?.(checked.table!);
    return result;
  });
}

const CORRUPT_AT = 30; // July 2014
/** Each corruption, and what must be reported for it: [severity, code, column or column prefix]. */
const corruptions: Record<string, [(batch: DayRow[]) => DayRow[], [string, string, string]]> = {
  // The schema's fields are optional, so a renamed field reads as 100 % missing (a required one would be a schema error).
  "a renamed column (temp_max → tmax)": [(b) => b.map(({ temp_max, ...rest }) => ({ ...rest, tmax: temp_max })), ["error", "missing_rate", "temp_max"]],
  "a unit change ×1000 (temp_max in m°C)": [(b) => b.map((r) => ({ ...r, temp_max: (r.temp_max as number) * 1000 })), ["error", "out_of_range", "temp_max"]],
  "30 % missing in one column (wind)": [(b) => b.map((r, i) => (i % 10 < 3 ? { ...r, wind: undefined } : r)), ["error", "missing_rate", "wind"]],
  // Every day gets another day's label: each column's own distribution is unchanged, the relation is not.
  "labels shuffled (weather)": [
    (b) => {
      const labels = b.map((r) => r.weather);
      return b.map((r, i) => ({ ...r, weather: labels[(i + 11) % labels.length] }));
    },
    ["warn", "distribution_drift", "precipitation | weather="],
  ],
};

/** The same 1,461 days in a seeded random order, cut into 48 batches: the seasons removed, the data unchanged. */
function shuffledMonths(): DayRow[][] {
  const days = months().flat();
  const rng = new SeededRandom(11);
  const order = Array.from(days.keys());
  rng.shuffle(order);
  const out: DayRow[][] = [];
  for (let k = 0; k < 48; k++) out.push(order.slice(Math.floor((k * days.length) / 48), Math.floor(((k + 1) * days.length) / 48)).map((i) => days[i]!));
  return out;
}

const summary = (outcomes: readonly Outcome[]): string[] => groupIssues(outcomes.flatMap((o) => o.issues)).map((g) => `${g.severity} ${g.code}${g.column ? ` ${g.column}` : ""}: ${g.count}`);

describe("the README validators on real data (Seattle weather, monthly)", () => {
  const clean = run(months());

  it("accept every clean month (no errors); the warnings are the seasons", () => {
    expect(clean).toHaveLength(48);
    expect(clean.filter((o) => !o.ok)).toEqual([]);
    expect(clean.flatMap((o) => o.issues).every((i) => i.severity === "warn")).toBe(true);
    const warned = clean.filter((o) => o.issues.length > 0).length;
    const drift = clean.filter((o) => o.issues.some((i) => i.code === "distribution_drift")).length;
    const tempMax = clean.filter((o) => o.issues.some((i) => i.code === "distribution_drift" && i.column === "temp_max")).length;
    // Figures quoted in docs/validation.md.
    expect({ warned, drift, tempMax }).toEqual({ warned: 44, drift: 44, tempMax: 42 });
    expect(summary(clean)).toContain("warn out_of_range precipitation: 1");
  });

  it("warn on few batches once the seasons are removed (the same days in random order)", () => {
    const control = run(shuffledMonths());
    expect(control.filter((o) => !o.ok)).toEqual([]);
    const warned = control.filter((o) => o.issues.length > 0).length;
    // Quoted in docs/validation.md: 2 of 48 (one drift warning on precipitation, one on weather).
    expect(warned).toBe(2);
    expect(summary(control)).toEqual(["warn distribution_drift precipitation: 1", "warn distribution_drift weather: 1"]);
  });

  it.each(Object.keys(corruptions))("catch %s in the month it happens", (name) => {
    const [corrupt, [severity, code, column]] = corruptions[name]!;
    const batches = months();
    batches[CORRUPT_AT] = corrupt(batches[CORRUPT_AT]!);
    const out = run(batches);
    // Nothing changes before the corrupted month.
    for (let k = 0; k < CORRUPT_AT; k++) expect(out[k]!.issues.length).toBe(clean[k]!.issues.length);
    const hit = out[CORRUPT_AT]!;
    const cleanCodes = new Set(clean[CORRUPT_AT]!.issues.map((i) => `${i.code} ${i.column}`));
    const fresh = hit.issues.filter((i) => !cleanCodes.has(`${i.code} ${i.column}`));
    expect(fresh.some((i) => i.severity === severity && i.code === code && (i.column ?? "").startsWith(column))).toBe(true);
    expect(hit.ok).toBe(severity !== "error");
  });
});
