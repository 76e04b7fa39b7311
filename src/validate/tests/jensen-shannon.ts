/**
 * Jensen–Shannon distance between two discrete distributions (each
 * normalised to sum 1), with natural logarithms: √(½ KL(p‖m) + ½ KL(q‖m)),
 * m = (p + q)/2; 0 for identical, √ln 2 ≈ 0.833 for disjoint. Equals
 * scipy.spatial.distance.jensenshannon(p, q).
 *
 * @example
 * ```ts
 * import { jensenShannonDistance } from "freshml";
 * jensenShannonDistance([1, 0], [0, 1]); // √ln2 ≈ 0.8326
 * ```
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  return Math.sqrt(Math.max(0, js / 2));
}
