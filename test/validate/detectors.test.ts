import { describe, expect, it } from "vitest";
import { ADWIN } from "../../src/drift/adwin.js";
import { DDM } from "../../src/drift/ddm.js";
import type { DriftDetector } from "../../src/drift/detector.js";
import { PageHinkley } from "../../src/drift/page-hinkley.js";
import { restoreDetector } from "../../src/drift/registry.js";
import { driftStream } from "../../src/drift/streams.js";

function alarms(d: DriftDetector, values: Float64Array): number[] {
  const at: number[] = [];
  values.forEach((v, i) => {
    d.update(v);
    if (d.driftDetected) at.push(i);
  });
  return at;
}

// Error-like streams: Gaussian errors (σ 0.3) for ADWIN and Page–Hinkley, 0/1 errors for DDM.
const cases: Array<[string, () => DriftDetector, boolean, number]> = [
  ["ADWIN", () => new ADWIN(), false, 100],
  ["PageHinkley", () => new PageHinkley(), false, 100],
  ["DDM", () => new DDM(), true, 400],
];

describe.each(cases)("%s", (_name, make, bernoulli, maxDelay) => {
  const level = bernoulli ? { from: 0.2, to: 0.6 } : { from: 0, to: 1 };

  it("stays quiet on stationary seeded streams (10,000 values × 5 seeds)", () => {
    let total = 0;
    for (let seed = 1; seed <= 5; seed++) {
      total += alarms(make(), driftStream({ kind: "stationary", length: 10_000, from: level.from, bernoulli, seed }).values).length;
    }
    expect(total).toBe(0);
  });

  it(`fires on an abrupt change within ${maxDelay} values, and not before it`, () => {
    for (let seed = 1; seed <= 5; seed++) {
      const s = driftStream({ kind: "abrupt", length: 4000, changeAt: 2000, ...level, bernoulli, seed });
      const at = alarms(make(), s.values);
      expect(at.filter((i) => i < 2000)).toEqual([]);
      const first = at.find((i) => i >= 2000);
      expect(first).toBeDefined();
      expect(first! - 2000).toBeLessThanOrEqual(maxDelay);
    }
  });

  it("fires during a gradual change", () => {
    const s = driftStream({ kind: "gradual", length: 6000, changeAt: 2000, width: 1000, ...level, bernoulli, seed: 9 });
    const at = alarms(make(), s.values);
    expect(at.some((i) => i >= 2000 && i < 3500)).toBe(true);
  });

  it("round-trips through JSON mid-stream and continues identically", () => {
    const s = driftStream({ kind: "abrupt", length: 3000, changeAt: 1500, ...level, bernoulli, seed: 4 });
    const a = make();
    for (let i = 0; i < 1000; i++) a.update(s.values[i]!);
    const b = restoreDetector(JSON.parse(JSON.stringify(a.toJSON())));
    const ra = alarms(a, s.values.subarray(1000));
    const rb = alarms(b, s.values.subarray(1000));
    expect(rb).toEqual(ra);
    expect(ra.length).toBeGreaterThan(0);
  });

  it("rejects NaN with non_finite and reset forgets", () => {
    const d = make();
    expect(() => d.update(NaN)).toThrowError(expect.objectContaining({ code: "non_finite" }));
    d.update(0.5);
    d.reset();
    expect(d.nSeen).toBe(0);
  });
});

describe("ADWIN", () => {
  it("keeps only the recent part of the window after a change, and estimates its mean", () => {
    const d = new ADWIN();
    for (let i = 0; i < 3000; i++) d.update(i < 2000 ? 0.2 : 0.8);
    expect(d.nSeen).toBeLessThan(1100);
    expect(Math.abs(d.estimation - 0.8)).toBeLessThan(0.02);
  });

  it("uses O(log W) buckets", () => {
    const d = new ADWIN();
    for (let i = 0; i < 100_000; i++) d.update(0.5);
    const levels = (d.toJSON().state.levels as unknown[]).length;
    expect(d.nSeen).toBe(100_000);
    expect(levels).toBeLessThanOrEqual(Math.ceil(Math.log2(100_000)));
  });
});

describe("DDM", () => {
  it("warns before it declares drift", () => {
    const d = new DDM();
    const s = driftStream({ kind: "gradual", length: 5000, changeAt: 2000, width: 2000, from: 0.1, to: 0.5, bernoulli: true, seed: 3 });
    let warnedAt = -1;
    let driftAt = -1;
    s.values.forEach((v, i) => {
      d.update(v);
      if (d.warningDetected && warnedAt < 0 && i >= 2000) warnedAt = i;
      if (d.driftDetected && driftAt < 0 && i >= 2000) driftAt = i;
    });
    expect(warnedAt).toBeGreaterThan(0);
    expect(driftAt).toBeGreaterThan(warnedAt);
  });
});
