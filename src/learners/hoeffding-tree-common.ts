import { FreshmlError, checkParam } from "../core/errors.js";
import { array, count, finite, nullable, num, object, positiveInt, type Check } from "../core/json-checks.js";
import { openEnvelope } from "./envelope.js";

/**
 * Shared pieces of the Hoeffding trees (Domingos & Hulten, KDD 2000): the
 * Hoeffding bound, the magnitude guard, running-moment arithmetic, the options
 * both trees take and how a saved tree is checked and restored.
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

/** The options both trees take. */
export interface TreeParams {
  gracePeriod: number;
  splitConfidence: number;
  tieThreshold: number;
  maxDepth: number | null;
  maxLeaves: number;
}

/** Fills the defaults of the options both trees take (River's) and checks them. */
export function treeParams(params: Partial<TreeParams>): TreeParams {
  const { gracePeriod = 200, splitConfidence = 1e-7, tieThreshold = 0.05, maxDepth = null, maxLeaves = 1000 } = params;
  checkTreeParams({ gracePeriod, splitConfidence, tieThreshold, maxDepth, maxLeaves });
  return { gracePeriod, splitConfidence, tieThreshold, maxDepth, maxLeaves };
}

/** Checks the options both trees share. */
function checkTreeParams(p: {
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

/** Checks of the saved options both trees share (their values are checked again by the constructor). */
export const treeParamsShape = {
  gracePeriod: finite,
  splitConfidence: finite,
  tieThreshold: finite,
  maxDepth: /* @__PURE__ */ nullable(finite),
  maxLeaves: finite,
};

const splitCheck = /* @__PURE__ */ object({
  f: count,
  t: finite,
  l: /* @__PURE__ */ num({ int: true }),
  r: /* @__PURE__ */ num({ int: true }),
  n: count,
});

/** Check of a saved tree's state, given the check of its leaves. */
export function treeStateCheck<L>(leafCheck: Check<L>): Check<{ d: number; n: number; nodes: Array<{ split: SplitNodeJSON | null; leaf: L | null }> }> {
  return object({
    d: positiveInt,
    n: count,
    nodes: array(object({ split: nullable(splitCheck), leaf: nullable(leafCheck) }), 1),
  });
}

/** A node of a live tree: a split, or a leaf of type `L`, at its depth. */
export interface TreeNode<L> {
  split: SplitNodeJSON | null;
  leaf: L | null;
  depth: number;
}

/** A live tree: features, rows learned, nodes (0 the root), leaf count. */
export interface TreeState<L> {
  d: number;
  n: number;
  nodes: Array<TreeNode<L>>;
  leaves: number;
}

/** How one tree restores its leaves, for {@link restoreTree}. */
export interface TreeRestore<P, LJ, L, M> {
  /** The trainer kind of the envelope. */
  readonly kind: string;
  /** Check of the saved parameters. */
  readonly paramsCheck: Check<P>;
  /** Check of a saved leaf. */
  readonly leafCheck: Check<LJ>;
  /** Builds the (empty) model from restored parameters. */
  make(params: P): M;
  /** The model's `maxLeaves`. */
  maxLeaves(model: M): number;
  /** Checks a saved leaf (node `i`) against the model and rebuilds it; a broken invariant throws `invalid_state`. */
  leafFromJSON(model: M, i: number, leaf: LJ, d: number): L;
  /** Rows a restored leaf has learned. */
  rows(leaf: L): number;
}

/**
 * Restores a tree from its envelope: checks the JSON, builds the model (a
 * parameter it refuses is `invalid_state`), then checks the tree's shape,
 * each leaf, the row count and the leaf cap. Returns the model and its state
 * (`null` for an unfitted tree) for the caller to install.
 */
export function restoreTree<P, LJ, L, M>(json: unknown, how: TreeRestore<P, LJ, L, M>): { model: M; state: TreeState<L> | null } {
  const { kind } = how;
  const { params, state } = openEnvelope(json, kind, how.paramsCheck, treeStateCheck(how.leafCheck));
  let model: M;
  try {
    model = how.make(params);
  } catch (err) {
    throw badState(kind, `bad parameters: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!state) return { model, state: null };
  const d = state.d;
  for (let i = 0; i < state.nodes.length; i++) {
    const nd = state.nodes[i]!;
    if ((nd.split === null) === (nd.leaf === null)) throw badState(kind, `node ${i} must be either a split or a leaf`);
  }
  const depth = checkTreeShape(kind, state.nodes, d);
  const nodes: Array<TreeNode<L>> = [];
  let leaves = 0;
  let learned = 0;
  for (let i = 0; i < state.nodes.length; i++) {
    const nd = state.nodes[i]!;
    if (nd.split) {
      nodes.push({ split: { ...nd.split }, leaf: null, depth: depth[i]! });
      learned += nd.split.n;
      continue;
    }
    const leaf = how.leafFromJSON(model, i, nd.leaf!, d);
    leaves++;
    learned += how.rows(leaf);
    nodes.push({ split: null, leaf, depth: depth[i]! });
  }
  if (learned !== state.n) throw badState(kind, `the nodes hold ${learned} rows but n is ${state.n}`, { observed: learned, expected: state.n });
  const maxLeaves = how.maxLeaves(model);
  if (leaves > maxLeaves) throw badState(kind, `${leaves} leaves exceed maxLeaves ${maxLeaves}`);
  return { model, state: { d, n: state.n, nodes, leaves } };
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
