/**
 * Rank error of QuantileSketch.median() on seeded and adversarially ordered streams
 * (docs/preprocessing.md has the table): npx tsx bench/sketch-accuracy.ts
 * The rank error is the distance between 1/2 and the interval of ranks (as fractions of n) the reported median occupies.
 */
import { QuantileSketch, SeededRandom } from "../src/index.js";
const rng = new SeededRandom(1);
const gens: Record<string, (i: number, n: number) => number> = {
  normal: () => rng.nextGaussian(),
  lognormal: () => Math.exp(2 * rng.nextGaussian()),
  ascending: (i) => i,
  descending: (i, n) => n - i,
  trend: (i, n) => i / n * 10 + rng.nextGaussian(),
  "two-level": () => (rng.next() < 0.5 ? 0 : 1) + 1e-3 * rng.nextGaussian(),
  sawtooth: (i) => i % 1000,
};
for (const k of [64, 128, 256]) for (const n of [1_000, 10_000, 100_000, 1_000_000]) {
  const row: string[] = [];
  let mem = 0;
  for (const [name, g] of Object.entries(gens)) {
    let worst = 0;
    for (let rep = 0; rep < (n >= 1e6 ? 1 : 3); rep++) {
      const s = new QuantileSketch(k);
      const xs = new Float64Array(n);
      for (let i = 0; i < n; i++) { xs[i] = g(i, n); s.add(xs[i]!); }
      const m = s.median();
      let below = 0, eq = 0;
      for (const x of xs) { if (x < m) below++; else if (x === m) eq++; }
      // rank error: distance of the median's rank interval from n/2
      const lo = below / n, hi = (below + eq) / n;
      const err = 0.5 < lo ? lo - 0.5 : 0.5 > hi ? 0.5 - hi : 0;
      worst = Math.max(worst, err);
      mem = Math.max(mem, s.toJSON().levels.reduce((a, l) => a + l.length, 0));
    }
    row.push(`${name} ${(worst * 100).toFixed(3)}%`);
  }
  console.log(`k=${k} n=${n} mem≤${mem}: ${row.join(", ")}`);
}
