import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import { finite, finiteNumbers, labels, nonNegative, object, oneOf, type Infer } from "../core/json-checks.js";
import { ClassIndex, checkClasses } from "./classes.js";
import { checkLength, checkMergeable, makeEnvelope, notFitted } from "./envelope.js";
import {
  badState,
  checkMagnitudes,
  entropy,
  hoeffdingBound,
  normalCdf,
  restoreTree,
  treeParams,
  treeParamsShape,
  type TreeNode,
  type TreeState,
} from "./hoeffding-tree-common.js";
import type { Classifier, Trainer, TrainerJSON } from "./trainer.js";

/**
 * How a leaf of a {@link HoeffdingTreeClassifier} predicts: `"mc"` the majority
 * class of the rows that reached it, `"nb"` naive Bayes on the leaf's
 * per-class Gaussian statistics, `"nba"` (naive Bayes adaptive, the default as
 * in River and MOA) whichever of the two has been right more often on the rows
 * the leaf has seen, each judged before it learned the row.
 */
export type HoeffdingLeafPrediction = "mc" | "nb" | "nba";

/** Parameters of {@link HoeffdingTreeClassifier}. Defaults follow River's `HoeffdingTreeClassifier`. */
export interface HoeffdingTreeClassifierParams {
  /** The labels, declared up front. */
  classes: readonly number[];
  /** Rows a leaf learns between split attempts. Default 200. */
  gracePeriod: number;
  /** δ of the Hoeffding bound: the allowed chance of choosing a worse split. Default 1e-7. */
  splitConfidence: number;
  /** τ: when the bound ε falls below it, the best split is taken even if the runner-up is close. Default 0.05. */
  tieThreshold: number;
  /** Deepest a leaf may be (the root is depth 0); `null` for no limit. Default `null`. */
  maxDepth: number | null;
  /** The tree never grows beyond this many leaves; with it, memory is bounded (see the docs). Default 1000. */
  maxLeaves: number;
  /** How a leaf predicts. Default `"nba"`. */
  leafPrediction: HoeffdingLeafPrediction;
  /** Rows a leaf must have seen before naive Bayes may predict there. Default 0. */
  nbThreshold: number;
  /** Candidate thresholds scored per numeric feature, evenly spaced in the leaf's observed range. Default 10. */
  nSplits: number;
  /** Each branch of a split must receive at least this fraction of the leaf's rows. Default 0.01. */
  minBranchFraction: number;
  /** Pseudo-rows spread evenly over the classes in every leaf's probabilities (Laplace's rule at 1), so log loss stays finite. Default 1. */
  smoothing: number;
}

/** Summary of a fitted tree's size. */
export interface HoeffdingTreeSize {
  /** All nodes, splits and leaves. */
  readonly nodes: number;
  /** Leaves. */
  readonly leaves: number;
  /** Depth of the deepest leaf (the root alone is depth 0). */
  readonly depth: number;
  /** Numbers held as statistics in the leaves (the memory that grows with the tree). */
  readonly statistics: number;
}

interface Leaf {
  prior: Float64Array; // k, class weights inherited from the parent's split estimate
  obs: Float64Array; // k, rows learned at this leaf per class
  mean: Float64Array; // k × d
  m2: Float64Array; // k × d
  min: Float64Array; // k × d
  max: Float64Array; // k × d
  mc: number; // rows the majority class got right here
  nb: number; // rows naive Bayes got right here
  last: number; // sum(obs) at the last split attempt
}

type Node = TreeNode<Leaf>;
type State = TreeState<Leaf>;

const leafPredictions = ["mc", "nb", "nba"] as const;

const paramsCheck = object({
  classes: labels,
  ...treeParamsShape,
  leafPrediction: oneOf(leafPredictions),
  nbThreshold: finite,
  nSplits: finite,
  minBranchFraction: finite,
  smoothing: finite,
});
const leafCheck = object({
  prior: finiteNumbers,
  obs: finiteNumbers,
  mean: finiteNumbers,
  m2: finiteNumbers,
  min: finiteNumbers,
  max: finiteNumbers,
  mc: nonNegative,
  nb: nonNegative,
  last: nonNegative,
});
type LeafJSON = Infer<typeof leafCheck>;

/** One candidate split of a leaf. */
interface Candidate {
  merit: number;
  feature: number;
  threshold: number;
  left: Float64Array;
  right: Float64Array;
}

/**
 * An incremental decision tree for classification (a Hoeffding tree, or VFDT:
 * Domingos & Hulten, KDD 2000). Each leaf keeps, per class and feature, a
 * Gaussian estimator (count, mean, variance, min, max). Every `gracePeriod`
 * rows a leaf scores `nSplits` evenly spaced thresholds per feature by
 * information gain, estimating each side's class counts from the Gaussians
 * (as River's `GaussianSplitter` does), and splits when the best beats the
 * runner-up by more than the Hoeffding bound ε = sqrt(R² ln(1/δ) / 2n), with
 * R = log2(classes), or when ε < `tieThreshold`.
 *
 * Deterministic (no randomness: the same rows give the same tree), bounded
 * (at most `maxLeaves` leaves, each O(classes × features) numbers),
 * serialisable, and mergeable when both trees have the same splits (two
 * shards of a tree that has not split yet, typically): leaf statistics add
 * exactly. Trees with different splits cannot be merged
 * (`incompatible_merge`). `forget` is not supported: a split once made is not
 * undone. Feature values beyond ±1e100 are refused (`non_finite`).
 *
 * @example
 * ```ts
 * import { HoeffdingTreeClassifier } from "freshml";
 * const tree = new HoeffdingTreeClassifier({ classes: [0, 1], gracePeriod: 50 });
 * const X: number[][] = [];
 * const y: number[] = [];
 * for (let i = 0; i < 2000; i++) {
 *   const x = [(i * 7919) % 100 / 10, (i * 104729) % 100 / 10];
 *   X.push(x);
 *   y.push(x[0]! > 5 ? 1 : 0);
 * }
 * tree.update({ X, y });
 * tree.predict([[2, 5], [8, 5]]); // Float64Array [0, 1]
 * ```
 */
export class HoeffdingTreeClassifier implements Classifier {
  readonly kind = "HoeffdingTreeClassifier";
  readonly task = "classification" as const;
  readonly params: Readonly<HoeffdingTreeClassifierParams>;
  readonly classes: readonly number[];
  private state: State | null = null;
  private readonly index: ClassIndex;
  private prodScratch = new Float64Array(0);

  constructor(params: Partial<HoeffdingTreeClassifierParams> & { classes: readonly number[] }) {
    const {
      classes,
      leafPrediction = "nba",
      nbThreshold = 0,
      nSplits = 10,
      minBranchFraction = 0.01,
      smoothing = 1,
      ...shared
    } = params ?? ({} as HoeffdingTreeClassifierParams);
    this.classes = checkClasses(classes);
    const tree = treeParams(shared);
    checkParam((leafPredictions as readonly string[]).includes(leafPrediction), "leafPrediction", '"mc", "nb" or "nba"', leafPrediction);
    checkParam(typeof nbThreshold === "number" && Number.isFinite(nbThreshold) && nbThreshold >= 0, "nbThreshold", "a finite number ≥ 0", nbThreshold);
    checkParam(typeof nSplits === "number" && Number.isInteger(nSplits) && nSplits >= 1 && nSplits <= 1000, "nSplits", "an integer in [1, 1000]", nSplits);
    checkParam(typeof minBranchFraction === "number" && minBranchFraction >= 0 && minBranchFraction < 0.5, "minBranchFraction",
      "a number in [0, 0.5)", minBranchFraction);
    checkParam(typeof smoothing === "number" && Number.isFinite(smoothing) && smoothing >= 0, "smoothing", "a finite number ≥ 0", smoothing);
    this.params = Object.freeze({ classes: this.classes, ...tree, leafPrediction, nbThreshold, nSplits, minBranchFraction, smoothing });
    this.index = new ClassIndex(this.classes);
  }

  get nFeatures(): number | undefined {
    return this.state?.d;
  }

  get nSeen(): number {
    return this.state?.n ?? 0;
  }

  /** Node, leaf and statistics counts of the tree (all zero before the first update). */
  size(): HoeffdingTreeSize {
    const s = this.state;
    if (!s) return { nodes: 0, leaves: 0, depth: 0, statistics: 0 };
    let depth = 0;
    let statistics = 0;
    for (const nd of s.nodes) {
      if (!nd.leaf) continue;
      depth = Math.max(depth, nd.depth);
      const l = nd.leaf;
      statistics += l.prior.length + l.obs.length + l.mean.length + l.m2.length + l.min.length + l.max.length + 3;
    }
    return { nodes: s.nodes.length, leaves: s.leaves, depth, statistics };
  }

  update(batch: Batch): void {
    const b = readBatch(batch, this.state?.d);
    const yi = this.index.indexAll(b.y);
    checkMagnitudes(b.X, b.cols, null);
    // Everything is checked: from here on nothing throws, so the update is all or nothing.
    const s = this.state ?? { d: b.cols, n: 0, nodes: [{ split: null, leaf: newLeaf(this.classes.length, b.cols, null), depth: 0 }], leaves: 1 };
    this.state = s;
    const X = b.X;
    const d = b.cols;
    const nba = this.params.leafPrediction === "nba";
    const scratch = new Float64Array(this.classes.length);
    for (let i = 0; i < b.rows; i++) {
      const o = i * d;
      const at = route(s.nodes, X, o);
      const leaf = s.nodes[at]!.leaf!;
      const c = yi[i]!;
      if (nba) {
        if (argmax(mcScores(leaf, scratch)) === c) leaf.mc++;
        if (this.nbArgmax(leaf, X, o, d, scratch) === c) leaf.nb++;
      }
      learnRow(leaf, c, X, o, d);
      s.n++;
      if (sum(leaf.obs) - leaf.last >= this.params.gracePeriod) this.attemptSplit(s, at);
    }
  }

  /**
   * Adds the statistics of another tree with the same parameters and the same
   * splits (for example two shards learned from one unsplit tree's clone).
   * Trees whose splits differ throw `incompatible_merge` and stay unchanged.
   */
  merge(other: Trainer): void {
    checkMergeable(this, other);
    const o = (other as HoeffdingTreeClassifier).state;
    if (!o) return;
    if (!this.state) {
      this.state = copyState(o);
      return;
    }
    const s = this.state;
    if (!sameStructure(s.nodes, o.nodes)) {
      throw new FreshmlError("incompatible_merge",
        "cannot merge Hoeffding trees whose splits differ; only trees with identical structure (e.g. not yet split) merge");
    }
    const next = copyState(s);
    for (let i = 0; i < next.nodes.length; i++) {
      const a = next.nodes[i]!.leaf;
      const bl = o.nodes[i]!.leaf;
      if (a && bl) mergeLeaf(a, bl);
      const sp = next.nodes[i]!.split;
      if (sp) sp.n += o.nodes[i]!.split!.n;
    }
    next.n += o.n;
    this.state = next;
    for (let i = 0; i < next.nodes.length; i++) {
      const l = next.nodes[i]!.leaf;
      if (l && sum(l.obs) - l.last >= this.params.gracePeriod) this.attemptSplit(next, i);
    }
  }

  predictProba(X: FeatureInput): Float64Array {
    const s = this.state;
    if (!s) throw notFitted(this.kind);
    const f = readFeatures(X, s.d);
    const k = this.classes.length;
    const out = new Float64Array(f.rows * k);
    const cache = new Map<number, NBModel | null>();
    const scratch = new Float64Array(k);
    for (let i = 0; i < f.rows; i++) {
      const at = route(s.nodes, f.X, i * f.cols);
      const leaf = s.nodes[at]!.leaf!;
      const p = out.subarray(i * k, (i + 1) * k);
      const useNb = this.params.leafPrediction === "nb" || (this.params.leafPrediction === "nba" && leaf.nb > leaf.mc);
      let nb: NBModel | null = null;
      if (useNb) {
        if (!cache.has(at)) cache.set(at, this.nbModel(leaf, s.d));
        nb = cache.get(at)!;
      }
      if (nb) {
        nbLogScores(nb, leaf, f.X, i * f.cols, s.d, scratch);
        softmaxInto(scratch, leaf.obs, p);
      }
      // A row so far from every class that naive Bayes cannot score it (−∞ everywhere) gets the leaf's class counts.
      if (nb && p.every((v) => Number.isFinite(v))) smoothInto(p, sum(leaf.obs), this.params.smoothing);
      else {
        const w = mcScores(leaf, p);
        const tot = sum(w);
        for (let c = 0; c < k; c++) p[c] = tot > 0 ? w[c]! / tot : 1 / k;
        smoothInto(p, tot, this.params.smoothing);
      }
    }
    return out;
  }

  predict(X: FeatureInput): Float64Array {
    const p = this.predictProba(X);
    const k = this.classes.length;
    const out = new Float64Array(p.length / k);
    for (let i = 0; i < out.length; i++) out[i] = this.classes[argmax(p.subarray(i * k, (i + 1) * k))]!;
    return out;
  }

  toJSON(): TrainerJSON {
    const s = this.state;
    return makeEnvelope(this.kind, { ...this.params, classes: this.classes.slice() }, s && {
      d: s.d,
      n: s.n,
      nodes: s.nodes.map((nd) => ({ split: nd.split && { ...nd.split }, leaf: nd.leaf && leafToJSON(nd.leaf) })),
    });
  }

  /** Restores from {@link HoeffdingTreeClassifier.toJSON} output; a broken invariant is `invalid_state`. */
  static fromJSON(json: unknown): HoeffdingTreeClassifier {
    const { model, state } = restoreTree(json, {
      kind: "HoeffdingTreeClassifier",
      paramsCheck,
      leafCheck,
      make: (params) => new HoeffdingTreeClassifier(params),
      maxLeaves: (m) => m.params.maxLeaves,
      leafFromJSON: (m, i, leaf, d) => leafFromJSON("HoeffdingTreeClassifier", i, leaf, m.classes.length, d),
      rows: (leaf) => sum(leaf.obs),
    });
    model.state = state;
    return model;
  }

  clone(): HoeffdingTreeClassifier {
    return new HoeffdingTreeClassifier(this.params);
  }

  copy(): HoeffdingTreeClassifier {
    const c = this.clone();
    c.state = this.state && copyState(this.state);
    return c;
  }

  private attemptSplit(s: State, at: number): void {
    const node = s.nodes[at]!;
    const leaf = node.leaf!;
    const W = sum(leaf.obs);
    leaf.last = W;
    const p = this.params;
    if (p.maxDepth !== null && node.depth >= p.maxDepth) return;
    if (s.leaves >= p.maxLeaves) return;
    let present = 0;
    for (const v of leaf.obs) if (v > 0) present++;
    if (present < 2) return;
    const k = this.classes.length;
    const H = entropy(leaf.obs, W);
    const perFeature: Candidate[] = [];
    for (let j = 0; j < s.d; j++) {
      const cand = this.bestForFeature(leaf, j, s.d, k, W, H);
      if (cand) perFeature.push(cand);
    }
    if (perFeature.length === 0) return;
    let best = perFeature[0]!;
    for (const c of perFeature) if (c.merit > best.merit) best = c;
    let second = 0; // the null split (no split) has merit 0
    for (const c of perFeature) if (c !== best && c.merit > second) second = c.merit;
    if (!(best.merit > 0)) return;
    const eps = hoeffdingBound(Math.log2(k), p.splitConfidence, W);
    if (best.merit - second > eps || eps < p.tieThreshold) {
      const l = s.nodes.length;
      s.nodes.push({ split: null, leaf: newLeaf(k, s.d, best.left), depth: node.depth + 1 });
      s.nodes.push({ split: null, leaf: newLeaf(k, s.d, best.right), depth: node.depth + 1 });
      s.nodes[at] = { split: { f: best.feature, t: best.threshold, l, r: l + 1, n: W }, leaf: null, depth: node.depth };
      s.leaves++;
    }
  }

  /** The best of `nSplits` thresholds of feature j by information gain, from the per-class Gaussians. */
  private bestForFeature(leaf: Leaf, j: number, d: number, k: number, W: number, H: number): Candidate | null {
    let lo = Infinity;
    let hi = -Infinity;
    for (let c = 0; c < k; c++) {
      if (leaf.obs[c]! <= 0) continue;
      lo = Math.min(lo, leaf.min[c * d + j]!);
      hi = Math.max(hi, leaf.max[c * d + j]!);
    }
    if (!(hi > lo)) return null;
    const left = new Float64Array(k);
    const right = new Float64Array(k);
    let best: Candidate | null = null;
    const minBranch = this.params.minBranchFraction * W;
    const ns = this.params.nSplits;
    for (let t = 1; t <= ns; t++) {
      const thr = lo + ((hi - lo) * t) / (ns + 1);
      let nL = 0;
      for (let c = 0; c < k; c++) {
        const n = leaf.obs[c]!;
        const q = c * d + j;
        let l = 0;
        if (n > 0) {
          if (thr >= leaf.max[q]!) l = n;
          else if (thr >= leaf.min[q]!) {
            const sd = n > 1 ? Math.sqrt(leaf.m2[q]! / (n - 1)) : 0;
            l = sd > 0 ? n * normalCdf((thr - leaf.mean[q]!) / sd) : thr >= leaf.mean[q]! ? n : 0;
          }
        }
        left[c] = l;
        right[c] = n - l;
        nL += l;
      }
      const nR = W - nL;
      if (nL < minBranch || nR < minBranch || nL <= 0 || nR <= 0) continue;
      const merit = H - (nL / W) * entropy(left, nL) - (nR / W) * entropy(right, nR);
      if (!best || merit > best.merit) best = { merit, feature: j, threshold: thr, left: left.slice(), right: right.slice() };
    }
    return best;
  }

  /** Per-leaf naive Bayes parameters, or null when naive Bayes may not predict at this leaf. */
  private nbModel(leaf: Leaf, d: number): NBModel | null {
    const W = sum(leaf.obs);
    if (W <= 0 || W < this.params.nbThreshold) return null;
    const k = this.classes.length;
    const invVar = new Float64Array(k * d);
    const logNorm = new Float64Array(k);
    const use = new Uint8Array(d);
    for (let j = 0; j < d; j++) {
      let maxVar = 0;
      for (let c = 0; c < k; c++) {
        const n = leaf.obs[c]!;
        if (n > 0) maxVar = Math.max(maxVar, leaf.m2[c * d + j]! / n);
      }
      if (!(maxVar > 0)) continue; // constant at this leaf: no evidence either way
      use[j] = 1;
      const eps = 1e-9 * maxVar;
      for (let c = 0; c < k; c++) {
        const n = leaf.obs[c]!;
        if (n <= 0) continue;
        const v = leaf.m2[c * d + j]! / n + eps;
        invVar[c * d + j] = 1 / v;
        logNorm[c]! -= 0.5 * Math.log(2 * Math.PI * v);
      }
    }
    return { invVar, logNorm, use };
  }

  /** The naive Bayes prediction at a leaf for one row, without building the cached model (the learning path). */
  private nbArgmax(leaf: Leaf, X: Float64Array, o: number, d: number, scratch: Float64Array): number {
    const W = sum(leaf.obs);
    if (W <= 0 || W < this.params.nbThreshold) return argmax(mcScores(leaf, scratch));
    const k = scratch.length;
    // Σ log(2πv) as logs of running products (one log per ~dozens of features instead of one each),
    // flushed before a product can leave [1e-100, 1e100]; extreme variances take their own log.
    if (this.prodScratch.length !== k) this.prodScratch = new Float64Array(k);
    const prod = this.prodScratch.fill(1);
    for (let c = 0; c < k; c++) scratch[c] = leaf.obs[c]! > 0 ? Math.log(leaf.obs[c]! / W) : -Infinity;
    for (let j = 0; j < d; j++) {
      let maxVar = 0;
      for (let c = 0; c < k; c++) {
        const n = leaf.obs[c]!;
        if (n > 0) {
          const v = leaf.m2[c * d + j]! / n;
          if (v > maxVar) maxVar = v;
        }
      }
      if (!(maxVar > 0)) continue;
      const eps = 1e-9 * maxVar;
      const x = X[o + j]!;
      for (let c = 0; c < k; c++) {
        const n = leaf.obs[c]!;
        if (n <= 0) continue;
        const q = c * d + j;
        const v = leaf.m2[q]! / n + eps;
        const z = x - leaf.mean[q]!;
        scratch[c]! -= (0.5 * (z * z)) / v;
        const tv = 2 * Math.PI * v;
        if (tv > 1e-100 && tv < 1e100) {
          const pr = prod[c]! * tv;
          if (pr > 1e100 || pr < 1e-100) {
            scratch[c]! -= 0.5 * Math.log(prod[c]!);
            prod[c] = tv;
          } else prod[c] = pr;
        } else scratch[c]! -= 0.5 * Math.log(tv);
      }
    }
    for (let c = 0; c < k; c++) if (leaf.obs[c]! > 0) scratch[c]! -= 0.5 * Math.log(prod[c]!);
    return argmax(scratch);
  }
}

interface NBModel {
  invVar: Float64Array;
  logNorm: Float64Array;
  use: Uint8Array;
}

/** Log P(c) + Σ log N(x_j; μ_cj, σ²_cj) for observed classes, −Infinity for the others. */
function nbLogScores(nb: NBModel, leaf: Leaf, X: Float64Array, o: number, d: number, out: Float64Array): void {
  const k = out.length;
  const W = sum(leaf.obs);
  for (let c = 0; c < k; c++) {
    const n = leaf.obs[c]!;
    if (n <= 0) {
      out[c] = -Infinity;
      continue;
    }
    let s = Math.log(n / W) + nb.logNorm[c]!;
    const co = c * d;
    for (let j = 0; j < d; j++) {
      if (nb.use[j] === 0) continue;
      const z = X[o + j]! - leaf.mean[co + j]!;
      s -= 0.5 * z * z * nb.invVar[co + j]!;
    }
    out[c] = s;
  }
}

function softmaxInto(scores: Float64Array, obs: Float64Array, p: Float64Array): void {
  let mx = -Infinity;
  for (let c = 0; c < scores.length; c++) if (obs[c]! > 0 && scores[c]! > mx) mx = scores[c]!;
  let tot = 0;
  for (let c = 0; c < scores.length; c++) {
    const e = obs[c]! > 0 ? Math.exp(scores[c]! - mx) : 0;
    p[c] = e;
    tot += e;
  }
  for (let c = 0; c < p.length; c++) p[c] = p[c]! / tot;
}

/** p ← (w·p + α) / (w + kα): `smoothing` pseudo-rows spread evenly over the classes. */
function smoothInto(p: Float64Array, w: number, alpha: number): void {
  const k = p.length;
  const den = w + k * alpha;
  if (!(den > 0)) return;
  for (let c = 0; c < k; c++) p[c] = (w * p[c]! + alpha) / den;
}

function mcScores(leaf: Leaf, out: Float64Array): Float64Array {
  for (let c = 0; c < out.length; c++) out[c] = leaf.prior[c]! + leaf.obs[c]!;
  return out;
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < a.length; c++) if (a[c]! > a[best]!) best = c;
  return best;
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

function route(nodes: Node[], X: Float64Array, o: number): number {
  let i = 0;
  let s = nodes[0]!.split;
  while (s) {
    i = X[o + s.f]! <= s.t ? s.l : s.r;
    s = nodes[i]!.split;
  }
  return i;
}

function newLeaf(k: number, d: number, prior: Float64Array | null): Leaf {
  return {
    prior: prior ? prior.slice() : new Float64Array(k),
    obs: new Float64Array(k),
    mean: new Float64Array(k * d),
    m2: new Float64Array(k * d),
    min: new Float64Array(k * d),
    max: new Float64Array(k * d),
    mc: 0,
    nb: 0,
    last: 0,
  };
}

/** Welford's update of class c's Gaussians with one row. */
function learnRow(leaf: Leaf, c: number, X: Float64Array, o: number, d: number): void {
  const n = ++leaf.obs[c]!;
  const co = c * d;
  const { mean, m2, min, max } = leaf;
  if (n === 1) {
    for (let j = 0; j < d; j++) {
      const x = X[o + j]!;
      mean[co + j] = x;
      m2[co + j] = 0;
      min[co + j] = x;
      max[co + j] = x;
    }
    return;
  }
  const inv = 1 / n;
  for (let j = 0; j < d; j++) {
    const x = X[o + j]!;
    const q = co + j;
    const delta = x - mean[q]!;
    const mu = mean[q]! + delta * inv;
    mean[q] = mu;
    m2[q]! += delta * (x - mu);
    if (x < min[q]!) min[q] = x;
    if (x > max[q]!) max[q] = x;
  }
}

/** a ← a ∪ b: Chan's formula per class and feature. */
function mergeLeaf(a: Leaf, b: Leaf): void {
  const k = a.obs.length;
  const d = a.mean.length / k;
  for (let c = 0; c < k; c++) {
    a.prior[c]! += b.prior[c]!;
    const nb = b.obs[c]!;
    if (nb === 0) continue;
    const na = a.obs[c]!;
    const n = na + nb;
    for (let j = 0; j < d; j++) {
      const q = c * d + j;
      if (na === 0) {
        a.mean[q] = b.mean[q]!;
        a.m2[q] = b.m2[q]!;
        a.min[q] = b.min[q]!;
        a.max[q] = b.max[q]!;
        continue;
      }
      const dlt = b.mean[q]! - a.mean[q]!;
      a.mean[q]! += (dlt * nb) / n;
      a.m2[q]! += b.m2[q]! + (dlt * dlt * na * nb) / n;
      a.min[q] = Math.min(a.min[q]!, b.min[q]!);
      a.max[q] = Math.max(a.max[q]!, b.max[q]!);
    }
    a.obs[c] = n;
  }
  a.mc += b.mc;
  a.nb += b.nb;
  a.last += b.last;
}

function sameStructure(a: Node[], b: Node[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!.split;
    const y = b[i]!.split;
    if ((x === null) !== (y === null)) return false;
    if (x && y && (x.f !== y.f || x.t !== y.t || x.l !== y.l || x.r !== y.r)) return false;
  }
  return true;
}

function copyLeaf(l: Leaf): Leaf {
  return {
    prior: l.prior.slice(), obs: l.obs.slice(), mean: l.mean.slice(), m2: l.m2.slice(), min: l.min.slice(), max: l.max.slice(),
    mc: l.mc, nb: l.nb, last: l.last,
  };
}

function copyState(s: State): State {
  return {
    d: s.d,
    n: s.n,
    leaves: s.leaves,
    nodes: s.nodes.map((nd) => ({ split: nd.split && { ...nd.split }, leaf: nd.leaf && copyLeaf(nd.leaf), depth: nd.depth })),
  };
}

function leafToJSON(l: Leaf): LeafJSON {
  return {
    prior: Array.from(l.prior), obs: Array.from(l.obs), mean: Array.from(l.mean), m2: Array.from(l.m2),
    min: Array.from(l.min), max: Array.from(l.max), mc: l.mc, nb: l.nb, last: l.last,
  };
}

function leafFromJSON(kind: string, i: number, j: LeafJSON, k: number, d: number): Leaf {
  checkLength(`nodes[${i}].prior`, j.prior, k);
  checkLength(`nodes[${i}].obs`, j.obs, k);
  for (const name of ["mean", "m2", "min", "max"] as const) checkLength(`nodes[${i}].${name}`, j[name], k * d);
  for (let c = 0; c < k; c++) {
    if (!(j.prior[c]! >= 0)) throw badState(kind, `node ${i} has a negative inherited count`, { observed: j.prior[c] });
    if (!(j.obs[c]! >= 0)) throw badState(kind, `node ${i} has a negative class count`, { observed: j.obs[c] });
    for (let f = 0; f < d; f++) {
      const q = c * d + f;
      if (!(j.m2[q]! >= 0)) throw badState(kind, `node ${i} has a negative sum of squares`, { observed: j.m2[q] });
      if (!(j.min[q]! <= j.max[q]!)) throw badState(kind, `node ${i} has min above max`, { observed: [j.min[q], j.max[q]] });
    }
  }
  const W = j.obs.reduce((a, b) => a + b, 0);
  if (j.last > W) throw badState(kind, `node ${i} attempted a split at ${j.last} rows but has ${W}`);
  if (j.mc > W || j.nb > W) throw badState(kind, `node ${i} counts more right predictions than rows`);
  return {
    prior: Float64Array.from(j.prior), obs: Float64Array.from(j.obs), mean: Float64Array.from(j.mean), m2: Float64Array.from(j.m2),
    min: Float64Array.from(j.min), max: Float64Array.from(j.max), mc: j.mc, nb: j.nb, last: j.last,
  };
}
