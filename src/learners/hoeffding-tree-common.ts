import { FreshmlError, checkParam } from "../core/errors.js";

/**
 * Shared pieces of the Hoeffding trees (Domingos & Hulten, KDD 2000): the
 * Hoeffding bound, the magnitude guard, running-moment arithmetic and the
 * structural checks a restored tree must pass.
 */

/**
 * Values beyond this magnitude are refused before anything learns: their
 * squares, summed over millions of rows, would overflow the trees' moments.
 * The pipeline's own sanity bound (1e30) is far below it.
 */
export const TREE_MAX_MAGNITUDE = 1e100;

/**
 * The Hoeffding bound ε = sqrt(R² ln(1/δ) / 2n): with probability 1 − δ the
 * true mean of a variable of range R lies within ε of the mean of n samples.
 */
export function hoeffdingBound(range: number, delta: number, n: number): number {
  return Math.sqrt((range * range * Math.log(1 / delta)) / (2 * n));
}

/** Throws `non_finite` (state untouched) naming the first value beyond {@link TREE_MAX_MAGNITUDE}. */
export function checkMagnitudes(X: Float64Array, cols: number, y: ArrayLike<number> | null): void {
  for (let k = 0; k < X.length; k++) {
    const v = X[k]!;
    if (v > TREE_MAX_MAGNITUDE || v < -TREE_MAX_MAGNITUDE) {
      throw new FreshmlError("non_finite",
        `feature at row ${Math.floor(k / cols)}, column ${k % cols} is ${v}: beyond ±${TREE_MAX_MAGNITUDE}, its square would overflow the tree's statistics`,
        { row: Math.floor(k / cols), column: k % cols, observed: v, expected: `|value| ≤ ${TREE_MAX_MAGNITUDE}` });
    }
  }
  if (y) {
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      if (v > TREE_MAX_MAGNITUDE || v < -TREE_MAX_MAGNITUDE) {
        throw new FreshmlError("non_finite",
          `target at row ${i} is ${v}: beyond ±${TREE_MAX_MAGNITUDE}, its square would overflow the tree's statistics`,
          { row: i, observed: v, expected: `|value| ≤ ${TREE_MAX_MAGNITUDE}` });
      }
    }
  }
}

/** Checks the options both trees share. */
export function checkTreeParams(p: {
  gracePeriod: unknown;
  splitConfidence: unknown;
  tieThreshold: unknown;
  maxDepth: unknown;
  maxLeaves: unknown;
}): void {
  checkParam(typeof p.gracePeriod === "number" && Number.isInteger(p.gracePeriod) && p.gracePeriod >= 1 && p.gracePeriod <= 1e9,
    "gracePeriod", "an integer in [1, 1e9]", p.gracePeriod);
  checkParam(typeof p.splitConfidence === "number" && p.splitConfidence > 0 && p.splitConfidence < 1,
    "splitConfidence", "a number in (0, 1)", p.splitConfidence);
  checkParam(typeof p.tieThreshold === "number" && Number.isFinite(p.tieThreshold) && p.tieThreshold >= 0,
    "tieThreshold", "a finite number ≥ 0", p.tieThreshold);
  checkParam(p.maxDepth === null || (typeof p.maxDepth === "number" && Number.isInteger(p.maxDepth) && p.maxDepth >= 0 && p.maxDepth <= 1000),
    "maxDepth", "null or an integer in [0, 1000]", p.maxDepth);
  checkParam(typeof p.maxLeaves === "number" && Number.isInteger(p.maxLeaves) && p.maxLeaves >= 1 && p.maxLeaves <= 1e7,
    "maxLeaves", "an integer in [1, 1e7]", p.maxLeaves);
}

/** A split node in the serialised form of a tree. */
export interface SplitNodeJSON {
  /** Feature index tested. */
  f: number;
  /** Rows with `x[f] <= t` go left, the others right. */
  t: number;
  /** Index of the left child in the node list (always after this node). */
  l: number;
  /** Index of the right child in the node list (always after this node). */
  r: number;
  /** Rows this node learned while it was a leaf, before it split. */
  n: number;
}

/** Throws `invalid_state` with a consistent message. */
export function badState(kind: string, what: string, details: Record<string, unknown> = {}): FreshmlError {
  return new FreshmlError("invalid_state", `invalid ${kind} state: ${what}`, details);
}

/**
 * Checks the shape of a restored tree: node 0 is the root, every split's
 * children come after it, every node but the root is the child of exactly one
 * split, features are in range. Returns each node's depth.
 */
export function checkTreeShape(
  kind: string,
  nodes: ReadonlyArray<{ split: SplitNodeJSON | null }>,
  d: number,
): Int32Array {
  const depth = new Int32Array(nodes.length).fill(-1);
  if (nodes.length === 0) throw badState(kind, "the tree has no nodes");
  depth[0] = 0;
  for (let i = 0; i < nodes.length; i++) {
    if (depth[i]! < 0) throw badState(kind, `node ${i} is not reachable from the root`, { observed: i });
    const s = nodes[i]!.split;
    if (!s) continue;
    if (s.f >= d) throw badState(kind, `node ${i} tests feature ${s.f} of ${d}`, { observed: s.f, expected: `< ${d}` });
    for (const c of [s.l, s.r]) {
      if (c <= i || c >= nodes.length) throw badState(kind, `node ${i} has child ${c} out of order or range`, { observed: c });
      if (depth[c]! >= 0) throw badState(kind, `node ${c} has two parents`, { observed: c });
      depth[c] = depth[i]! + 1;
    }
  }
  return depth;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Shannon entropy in bits of a weight vector with total `n`. */
export function entropy(w: ArrayLike<number>, n: number): number {
  if (n <= 0) return 0;
  let h = 0;
  for (let c = 0; c < w.length; c++) {
    const p = w[c]! / n;
    if (p > 0) h -= p * Math.log2(p);
  }
  return h;
}
