import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../src/core/random.js";
import { setSimdEnabled } from "../../src/core/wasm/load.js";
import { ADWIN, type ADWINParams } from "../../src/drift/adwin.js";
import { checkValue, clampValue, DETECTOR_VALUE_LIMIT, detectorJSON } from "../../src/drift/common.js";
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

  it("updateMany equals a loop of update: the first alarm, the final flags and state", () => {
    const s = driftStream({ kind: "abrupt", length: 6000, changeAt: 2000, ...level, bernoulli, seed: 6 });
    const a = make();
    const at = alarms(a, s.values);
    expect(at.length).toBeGreaterThan(0);
    const b = make();
    const firsts: number[] = [];
    for (let c = 0; c < s.values.length; c += 700) {
      const f = b.updateMany!(s.values.subarray(c, c + 700));
      if (f >= 0) firsts.push(c + f);
      const last = Math.min(c + 700, s.values.length) - 1;
      expect(b.driftDetected).toBe(at.includes(last));
    }
    expect(firsts[0]).toBe(at[0]);
    expect(b.warningDetected).toBe(a.warningDetected);
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(a.toJSON()));
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

// ---------------------------------------------------------------------------------------------
// ADWIN's fast paths (the JS loop, updateMany in WebAssembly, the screened check) against the
// straightforward implementation they replaced, kept here verbatim as the reference.

const SIZES = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);

/** ADWIN as first written: one update at a time, every cut tested with its four divisions. */
class ReferenceADWIN {
  readonly kind = "ADWIN";
  /** Construction parameters, defaults filled in. */
  readonly params: Readonly<ADWINParams>;
  private width = 0;
  private total = 0;
  private m2 = 0;
  private tick = 0;
  private drift = false;
  // Level k holds up to maxBuckets + 1 buckets of 2^k values in a ring (oldest at start[k]):
  // typed arrays, so an update allocates nothing.
  private cap: number;
  private totals: Float64Array;
  private m2s: Float64Array;
  private start = new Int32Array(64);
  private count = new Int32Array(64);
  private nLevels = 0;

  constructor(params: Partial<ADWINParams> = {}) {
    const { delta = 0.002, clock = 32, maxBuckets = 5, minWindowLength = 5, gracePeriod = 10 } = params;
    this.params = Object.freeze({ delta, clock, maxBuckets, minWindowLength, gracePeriod });
    this.cap = maxBuckets + 1;
    this.totals = new Float64Array(64 * this.cap);
    this.m2s = new Float64Array(64 * this.cap);
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  get warningDetected(): boolean {
    return false;
  }

  /** Values in the current window. */
  get nSeen(): number {
    return this.width;
  }

  /** Mean of the current window. */
  get estimation(): number {
    return this.width > 0 ? this.total / this.width : 0;
  }

  update(value: number): void {
    checkValue(value, this.kind);
    // The documented input rule (DETECTOR_VALUE_LIMIT): finite values beyond ±1e100 are clamped.
    const x = clampValue(value);
    this.drift = false;
    // Welford for the whole window.
    if (this.width > 0) {
      const mean = this.total / this.width;
      this.m2 += (this.width / (this.width + 1)) * (x - mean) ** 2;
    }
    this.total += x;
    this.width++;
    this.insertBucket(0, x, 0);
    this.tick++;
    if (this.tick % this.params.clock === 0 && this.width > this.params.gracePeriod) this.detect();
  }

  reset(): void {
    this.width = 0;
    this.total = 0;
    this.m2 = 0;
    this.tick = 0;
    this.drift = false;
    this.start.fill(0);
    this.count.fill(0);
    this.nLevels = 0;
  }

  toJSON(): unknown {
    return detectorJSON(this.kind, this.params, {
      width: this.width,
      total: this.total,
      m2: this.m2,
      tick: this.tick,
      drift: this.drift,
      levels: this.levelsJSON(),
    });
  }

  /** Buckets per level, oldest first (the JSON form). */
  private levelsJSON(): Array<{ totals: number[]; m2s: number[] }> {
    const out: Array<{ totals: number[]; m2s: number[] }> = [];
    for (let k = 0; k < this.nLevels; k++) {
      const totals: number[] = [];
      const m2s: number[] = [];
      for (let i = 0; i < this.count[k]!; i++) {
        const q = k * this.cap + ((this.start[k]! + i) % this.cap);
        totals.push(this.totals[q]!);
        m2s.push(this.m2s[q]!);
      }
      out.push({ totals, m2s });
    }
    return out;
  }

  /** Appends a bucket as the newest of its level. */
  private push(level: number, total: number, m2: number): void {
    const q = level * this.cap + ((this.start[level]! + this.count[level]!) % this.cap);
    this.totals[q] = total;
    this.m2s[q] = m2;
    this.count[level]!++;
    if (level >= this.nLevels) this.nLevels = level + 1;
  }

  /** Adds a bucket of 2^level values as the newest at its level, merging the two oldest when there are too many. */
  private insertBucket(level: number, total: number, m2: number): void {
    for (;;) {
      this.push(level, total, m2);
      if (this.count[level]! <= this.params.maxBuckets) return;
      const base = level * this.cap;
      const i0 = base + this.start[level]!;
      const i1 = base + ((this.start[level]! + 1) % this.cap);
      const n = SIZES[level]!;
      const t0 = this.totals[i0]!;
      const t1 = this.totals[i1]!;
      // Chan's merge of two equal-count buckets.
      total = t0 + t1;
      m2 = this.m2s[i0]! + this.m2s[i1]! + (n / 2) * (t0 / n - t1 / n) ** 2;
      this.start[level] = (this.start[level]! + 2) % this.cap;
      this.count[level]! -= 2;
      level++;
    }
  }

  /** Drops the oldest part of the window while some cut shows a change. */
  private detect(): void {
    const { minWindowLength, delta } = this.params;
    for (let changed = true; changed && this.width > 2 * minWindowLength; ) {
      changed = false;
      let n0 = 0;
      let t0 = 0;
      const deltaPrime = Math.log((2 * Math.log(this.width)) / delta);
      const variance = this.m2 / this.width;
      // Oldest first: the highest level, then towards the newest buckets.
      scan: for (let k = this.nLevels - 1; k >= 0; k--) {
        const base = k * this.cap;
        for (let i = 0; i < this.count[k]!; i++) {
          n0 += SIZES[k]!;
          t0 += this.totals[base + ((this.start[k]! + i) % this.cap)]!;
          const n1 = this.width - n0;
          if (n1 < minWindowLength) break scan;
          if (n0 < minWindowLength) continue;
          const diff = Math.abs(t0 / n0 - (this.total - t0) / n1);
          const mRecip = 1 / (n0 - minWindowLength + 1) + 1 / (n1 - minWindowLength + 1);
          // Cut when diff > √(2·m·σ²·δ') + ⅔·δ'·m; compared without the square root.
          const over = diff - (2 / 3) * deltaPrime * mRecip;
          if (over > 0 && over * over > 2 * mRecip * variance * deltaPrime) {
            this.drift = true;
            this.dropOldest();
            changed = true;
            break scan;
          }
        }
      }
    }
  }

  private dropOldest(): void {
    let k = this.nLevels - 1;
    while (k >= 0 && this.count[k] === 0) k--;
    if (k < 0) return;
    const q = k * this.cap + this.start[k]!;
    const n = SIZES[k]!;
    const t = this.totals[q]!;
    const v = this.m2s[q]!;
    this.start[k] = (this.start[k]! + 1) % this.cap;
    this.count[k]!--;
    const rest = this.width - n;
    if (rest > 0) {
      const dm = t / n - (this.total - t) / rest;
      this.m2 = Math.max(0, this.m2 - v - ((n * rest) / this.width) * dm * dm);
    } else this.m2 = 0;
    this.total -= t;
    this.width = rest;
    while (this.nLevels > 0 && this.count[this.nLevels - 1] === 0) this.nLevels--;
  }
}

/** A stream of segments: each a level, a noise scale and a magnitude, from a seed. */
function segmentedStream(segments: Array<{ len: number; mean: number; sd: number; scale: number; bernoulli: boolean }>, seed: number): Float64Array {
  const rng = new SeededRandom(seed);
  const out: number[] = [];
  for (const g of segments) {
    for (let i = 0; i < g.len; i++) {
      const v = g.bernoulli ? (rng.next() < Math.abs(g.mean) / 5 ? 1 : 0) : g.mean + g.sd * rng.nextGaussian();
      out.push(v * g.scale);
    }
  }
  return Float64Array.from(out);
}

const segmentArb = fc.record({
  len: fc.integer({ min: 1, max: 700 }),
  mean: fc.double({ min: -5, max: 5, noNaN: true }),
  sd: fc.constantFrom(0, 1e-9, 0.01, 0.3, 2),
  scale: fc.constantFrom(1, 1, 1, -1, 1e-200, 1e-160, 1e100, 1e150),
  bernoulli: fc.boolean(),
});
const paramsArb = fc.record({
  delta: fc.constantFrom(0.002, 0.002, 1e-6, 0.05, 0.5),
  clock: fc.constantFrom(32, 32, 1, 7, 100),
  maxBuckets: fc.constantFrom(5, 5, 2, 3, 9),
  minWindowLength: fc.constantFrom(5, 5, 1, 12),
  gracePeriod: fc.constantFrom(10, 10, 0, 300),
});

/** Feeds `values` one at a time; the indices that found a drift. */
function referenceAlarms(d: ReferenceADWIN, values: Float64Array): number[] {
  const at: number[] = [];
  for (let i = 0; i < values.length; i++) {
    d.update(values[i]!);
    if (d.driftDetected) at.push(i);
  }
  return at;
}

/** Feeds `values` with updateMany in chunks cut at `cuts`; per chunk, updateMany's answer and the detector after it. */
function chunked(d: ADWIN, values: Float64Array, cuts: number[]): Array<{ end: number; first: number; drift: boolean }> {
  const bounds = [...new Set(cuts.map((c) => c % (values.length + 1)))].sort((a, b) => a - b);
  const out: Array<{ end: number; first: number; drift: boolean }> = [];
  let from = 0;
  for (const to of [...bounds, values.length]) {
    if (to <= from && !(to === from && to === 0)) continue;
    const first = d.updateMany(values.subarray(from, to));
    out.push({ end: to, first: first < 0 ? -1 : from + first, drift: d.driftDetected });
    from = to;
  }
  return out;
}

describe("ADWIN's fast paths equal the original implementation", () => {
  for (const mode of ["update", "updateMany (WebAssembly)", "updateMany (JS)"] as const) {
    it(`${mode}: the same drift points and the same state, to the bit, on any stream (property)`, () => {
      setSimdEnabled(mode !== "updateMany (JS)");
      try {
        fc.assert(
          fc.property(
            fc.array(segmentArb, { minLength: 1, maxLength: 6 }),
            paramsArb,
            fc.integer(),
            fc.array(fc.nat(5000), { maxLength: 6 }),
            (segments, params, seed, cuts) => {
              const values = segmentedStream(segments, seed);
              const ref = new ReferenceADWIN(params);
              const alarms = referenceAlarms(ref, values);
              const d = new ADWIN(params);
              if (mode === "update") {
                const at: number[] = [];
                for (let i = 0; i < values.length; i++) {
                  d.update(values[i]!);
                  if (d.driftDetected) at.push(i);
                }
                expect(at).toEqual(alarms);
              } else {
                for (const c of chunked(d, values, cuts)) {
                  const inChunk = alarms.filter((i) => i < c.end);
                  const prev = out(c.end);
                  expect(c.first).toBe(prev);
                  expect(c.drift).toBe(inChunk.length > 0 && inChunk[inChunk.length - 1] === c.end - 1);
                }
                function out(end: number): number {
                  // The first alarm in the chunk ending at `end`, as updateMany must report it.
                  const starts = [0, ...[...new Set(cuts.map((x) => x % (values.length + 1)))].sort((a, b) => a - b), values.length];
                  const from = Math.max(...starts.filter((x) => x < end), 0);
                  return alarms.find((i) => i >= from && i < end) ?? -1;
                }
              }
              expect(JSON.stringify(d.toJSON())).toBe(JSON.stringify(ref.toJSON()));
              expect(d.nSeen).toBe(ref.nSeen);
              expect(d.estimation).toBe(ref.estimation);
            },
          ),
          { numRuns: 150, seed: mode.length },
        );
      } finally {
        setSimdEnabled(true);
      }
    });
  }

  it("continues identically after a JSON round trip, whichever path fed it", () => {
    const s = driftStream({ kind: "abrupt", length: 30_000, changeAt: 11_000, from: 0.1, to: 0.6, seed: 12 });
    const ref = new ReferenceADWIN();
    referenceAlarms(ref, s.values.subarray(0, 10_000));
    const d = new ADWIN();
    d.updateMany(s.values.subarray(0, 10_000));
    expect(JSON.stringify(d.toJSON())).toBe(JSON.stringify(ref.toJSON()));
    const back = ADWIN.fromJSON(JSON.parse(JSON.stringify(d.toJSON())));
    const rest = s.values.subarray(10_000);
    const alarms = referenceAlarms(ref, rest);
    expect(alarms.length).toBeGreaterThan(0);
    expect(back.updateMany(rest)).toBe(alarms[0]);
    expect(JSON.stringify(back.toJSON())).toBe(JSON.stringify(ref.toJSON()));
  });

  it("matches on long streams with many changes, of every magnitude (200,000 values each)", () => {
    // ADWIN's bound has a term independent of scale: tiny values never fire, huge ones often.
    for (const [scale, seed, minAlarms] of [[1, 1, 10], [-3, 4, 10], [1e120, 3, 10], [1e-150, 2, 0]] as const) {
      const rng = new SeededRandom(seed);
      let level = 0;
      const values = Float64Array.from({ length: 200_000 }, (_, i) => {
        if (i % 7919 === 0) level = rng.next() * 2;
        return (level + 0.3 * rng.nextGaussian()) * scale;
      });
      const ref = new ReferenceADWIN();
      const alarms = referenceAlarms(ref, values);
      expect(alarms.length).toBeGreaterThanOrEqual(minAlarms);
      const d = new ADWIN();
      const firsts: number[] = [];
      for (let c = 0; c < values.length; c += 1000) {
        const f = d.updateMany(values.subarray(c, c + 1000));
        if (f >= 0) firsts.push(c + f);
      }
      const expected = [...new Set(alarms.map((i) => Math.floor(i / 1000)))].map((b) => alarms.find((i) => Math.floor(i / 1000) === b)!);
      expect(firsts).toEqual(expected);
      expect(JSON.stringify(d.toJSON())).toBe(JSON.stringify(ref.toJSON()));
    }
  });

  it("updateMany stops at a NaN, ±Infinity or non-number with non_finite, the values before it added", () => {
    const s = driftStream({ kind: "abrupt", length: 3000, changeAt: 1000, from: 0, to: 1, seed: 3 });
    for (const bad of [NaN, Infinity, -Infinity, "0.5"]) {
      for (const at of [0, 5, 70, 2500]) {
        for (const asArray of [false, true]) {
          const ref = new ReferenceADWIN();
          referenceAlarms(ref, s.values.subarray(0, at));
          const d = new ADWIN();
          const values: ArrayLike<number> = asArray ? Array.from(s.values) : s.values.slice();
          if (typeof bad === "string") {
            if (!asArray) continue;
            (values as unknown[])[at] = bad;
          } else (values as Float64Array | number[])[at] = bad;
          expect(() => d.updateMany(values)).toThrowError(expect.objectContaining({ code: "non_finite" }));
          expect(JSON.stringify(d.toJSON())).toBe(JSON.stringify(ref.toJSON()));
          expect(d.driftDetected).toBe(ref.driftDetected);
        }
      }
    }
    const d = new ADWIN();
    expect(() => d.update("0.5" as unknown as number)).toThrowError(expect.objectContaining({ code: "non_finite" }));
    expect(d.nSeen).toBe(0);
  });
});

describe("huge-but-finite values never poison a detector's state (issue 10, item 1)", () => {
  const huge = [1e160, 1e300, -1.7e308, Number.MAX_VALUE, 5e-324, -1e200, 1e101];
  function stream(seed: number): Float64Array {
    const rng = new SeededRandom(seed);
    return Float64Array.from({ length: 3000 }, (_, i) => (i % 97 === 50 ? huge[i % huge.length]! : rng.next()));
  }
  const makers: Array<[string, () => DriftDetector, (d: DriftDetector, v: Float64Array) => void]> = [
    ["ADWIN update", () => new ADWIN(), (d, v) => v.forEach((x) => d.update(x))],
    ["ADWIN updateMany (WebAssembly)", () => new ADWIN(), (d, v) => d.updateMany!(v)],
    ["ADWIN updateMany (JS)", () => new ADWIN(), (d, v) => {
      setSimdEnabled(false);
      try {
        d.updateMany!(v);
      } finally {
        setSimdEnabled(true);
      }
    }],
    ["ADWIN updateMany (plain array)", () => new ADWIN(), (d, v) => d.updateMany!(Array.from(v))],
    ["PageHinkley", () => new PageHinkley(), (d, v) => d.updateMany!(v)],
    ["DDM", () => new DDM(), (d, v) => d.updateMany!(v)],
  ];
  for (const [name, make, feed] of makers) {
    it(`${name}: the state stays finite, saves without null and restores`, () => {
      const d = make();
      feed(d, stream(5));
      const text = JSON.stringify(d.toJSON());
      expect(text).not.toContain("null");
      const back = restoreDetector(JSON.parse(text));
      expect(JSON.stringify(back.toJSON())).toBe(text);
      // It goes on learning from ordinary values after the huge ones.
      feed(back, stream(6));
      expect(JSON.stringify(back.toJSON())).not.toContain("null");
    });
  }

  it("ADWIN: WebAssembly, JS and update loops agree to the bit on streams of huge values", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(...huge), fc.double({ min: 0, max: 1, noNaN: true })), {
          minLength: 64,
          maxLength: 600,
        }),
        (arr) => {
          const v = Float64Array.from(arr);
          const a = new ADWIN({ clock: 4 });
          a.updateMany(v);
          const b = new ADWIN({ clock: 4 });
          setSimdEnabled(false);
          try {
            b.updateMany(v);
          } finally {
            setSimdEnabled(true);
          }
          const c = new ADWIN({ clock: 4 });
          for (const x of arr) c.update(x);
          const r = new ReferenceADWIN({ clock: 4 });
          for (const x of arr) r.update(x);
          const text = JSON.stringify(r.toJSON());
          expect(text).not.toContain("null");
          // A state any stream produces passes restore's invariant checks.
          expect(JSON.stringify(ADWIN.fromJSON(JSON.parse(text)).toJSON())).toBe(text);
          expect(JSON.stringify(a.toJSON())).toBe(text);
          expect(JSON.stringify(b.toJSON())).toBe(text);
          expect(JSON.stringify(c.toJSON())).toBe(text);
        },
      ),
      { numRuns: 100, seed: 10 },
    );
  });

  it("clamps to ±DETECTOR_VALUE_LIMIT: a huge error still reads as a large error", () => {
    const d = new ADWIN();
    d.update(1e300);
    expect(d.estimation).toBe(DETECTOR_VALUE_LIMIT);
    d.update(-Number.MAX_VALUE);
    expect(d.estimation).toBe(0);
    expect(clampValue(-1e101)).toBe(-DETECTOR_VALUE_LIMIT);
    expect(clampValue(5e-324)).toBe(5e-324);
  });

  it("toJSON refuses a non-finite state with non_finite instead of writing null", () => {
    expect(() => detectorJSON("X", {}, { a: [1, Infinity] })).toThrowError(expect.objectContaining({ code: "non_finite", details: expect.objectContaining({ field: "state.a[1]" }) }));
    expect(() => detectorJSON("X", {}, { m: NaN })).toThrowError(expect.objectContaining({ code: "non_finite" }));
  });
});

describe("restore checks a detector state's invariants, not only its shape (issue 10, item 15)", () => {
  function adwinState(): { kind: string; params: Record<string, unknown>; state: Record<string, unknown> } {
    const d = new ADWIN();
    const rng = new SeededRandom(3);
    for (let i = 0; i < 500; i++) d.update(rng.next());
    return JSON.parse(JSON.stringify(d.toJSON())) as { kind: string; params: Record<string, unknown>; state: Record<string, unknown> };
  }
  function expectField(json: unknown, field: string): void {
    expect(() => restoreDetector(json)).toThrowError(expect.objectContaining({ code: "invalid_state", details: expect.objectContaining({ field }) }));
  }
  it("a saved ADWIN restores (control)", () => {
    expect(restoreDetector(adwinState()).nSeen).toBeGreaterThan(0);
  });
  it("ADWIN claiming a width of 2^40 is invalid_state naming width", () => {
    const j = adwinState();
    j.state.width = 2 ** 40;
    j.state.tick = 2 ** 41;
    expectField(j, "width");
  });
  it("ADWIN whose width exceeds the values seen is invalid_state", () => {
    const j = adwinState();
    j.state.tick = 3;
    expectField(j, "width");
  });
  it("ADWIN whose bucket totals do not add up to its total is invalid_state naming total", () => {
    const j = adwinState();
    j.state.total = (j.state.total as number) * 3 + 5;
    expectField(j, "total");
  });
  it("ADWIN with a negative m2, a negative bucket m2 or an overfull level is invalid_state", () => {
    const a = adwinState();
    a.state.m2 = -1;
    expectField(a, "m2");
    const b = adwinState();
    const levels = b.state.levels as Array<{ totals: number[]; m2s: number[] }>;
    levels[1]!.m2s[0] = -0.5;
    expectField(b, "levels[1].m2s[0]");
    const c = adwinState();
    const lc = c.state.levels as Array<{ totals: number[]; m2s: number[] }>;
    lc[0]!.totals.push(0.5, 0.5, 0.5, 0.5, 0.5);
    lc[0]!.m2s.push(0, 0, 0, 0, 0);
    expectField(c, "levels[0].totals");
  });
  it("PageHinkley with minUp above sumUp, and DDM with p outside [0, 1], are invalid_state", () => {
    const ph = new PageHinkley();
    for (let i = 0; i < 50; i++) ph.update(i % 3);
    const pj = JSON.parse(JSON.stringify(ph.toJSON()));
    pj.state.minUp = pj.state.sumUp + 1;
    expectField(pj, "minUp");
    const ddm = new DDM();
    for (let i = 0; i < 50; i++) ddm.update(i % 2);
    const dj = JSON.parse(JSON.stringify(ddm.toJSON()));
    dj.state.p = 1.5;
    expectField(dj, "p");
  });
});
