import { readBatch, readFeatures, type Batch, type FeatureInput } from "../core/batch.js";
import { FreshmlError, checkParam } from "../core/errors.js";
import { array, count, finite, finiteNumbers, nonNegative, nullable, object, optional, tuple, type Infer } from "../core/json-checks.js";
import { checkLength, checkMergeable, makeEnvelope, notFitted } from "./envelope.js";
import { badState, checkMagnitudes, hoeffdingBound, restoreTree, treeParams, treeParamsShape, type TreeNode, type TreeState } from "./hoeffding-tree-common.js";
import type { HoeffdingTreeSize } from "./hoeffding-tree-classifier.js";
import type { Trainer, TrainerJSON } from "./trainer.js";

/** Parameters of {@link HoeffdingTreeRegressor}. Defaults follow River's `HoeffdingTreeRegressor` where it has them. */
export interface HoeffdingTreeRegressorParams {
  /** Rows a leaf learns between split attempts. Default 200. */
  gracePeriod: number;
  /** δ of the Hoeffding bound. Default 1e-7. */
  splitConfidence: number;
  /** τ: when the bound ε falls below it, the best split is taken. Default 0.05. */
  tieThreshold: number;
  /** Deepest a leaf may be (the root is depth 0); `null` for no limit. Default `null`. */
  maxDepth: number | null;
  /** The tree never grows beyond this many leaves. Default 1000. */
  maxLeaves: number;
  /** Histogram bins per feature in each growing leaf (the bounded-memory split observer; a feature holds between `bins` and 2·`bins` − 1 bins). Default 32. */
  bins: number;
  /** Each branch of a split must receive at least this many rows (River's `min_samples_split`). Default 5. */
  minSamplesSplit: number;
  /**
   * Memory budget in MiB (River's `max_size`), or `null` for none. After every
   * split the tree estimates its size ({@link HoeffdingTreeRegressor.memoryBytes});
   * over budget, the least promising growing leaves (smallest sum of squared
   * deviations of their targets, what a split could reduce) drop their
   * histograms and keep predicting their mean, until it is within budget.
   * Default 100 (River's default for its classifier; 500 for its regressor).
   */
  maxSize: number | null;
}

/** Target statistics: count, mean, centred sum of squares. */
interface Moments {
  n: number;
  mean: number;
  m2: number;
}

/**
 * Per-feature streaming histograms (after Ben-Haim & Tom-Tov, JMLR 2010): per
 * feature, sorted bins of (centroid, row count, mean target, centred sum of
 * squares of the target), interleaved in one array. A new value becomes a bin
 * (or joins an equal centroid); when a feature reaches 2·bins bins, the
 * closest neighbours merge in one pass until `bins` remain. Memory per feature
 * is 4·2·bins numbers whatever the stream.
 */
interface Hist {
  size: Int32Array; // d
  data: Float64Array; // d × 2·bins × 4: x, count, mean y, m2 y
}

interface Leaf {
  prior: Moments; // targets inherited from the parent's split
  obs: Moments; // targets learned at this leaf
  last: number; // obs.n at the last split attempt
  hist: Hist | null; // null once the leaf can never split (depth or leaf cap)
}

type Node = TreeNode<Leaf>;
type State = TreeState<Leaf>;

const paramsCheck = object({ ...treeParamsShape, bins: finite, minSamplesSplit: finite, maxSize: optional(nullable(finite)) });
const momentsCheck = tuple([nonNegative, finite, nonNegative]);
const histCheck = object({ size: array(count), x: finiteNumbers, cnt: finiteNumbers, ym: finiteNumbers, m2: finiteNumbers });
const leafCheck = object({ prior: momentsCheck, obs: momentsCheck, last: nonNegative, hist: nullable(histCheck) });
type LeafJSON = Infer<typeof leafCheck>;

interface Candidate {
  merit: number;
  feature: number;
  threshold: number;
  left: Moments;
  right: Moments;
}

/**
 * An incremental regression tree (a Hoeffding tree for regression, as River's
 * `HoeffdingTreeRegressor`, after Domingos & Hulten 2000 and Ikonomovska's
 * FIMT). Each growing leaf keeps, per feature, a streaming histogram of at
 * most `bins` centroids with the target's count, mean and variance per bin.
 * Every `gracePeriod` rows it scores the cut between each pair of adjacent
 * centroids by variance reduction and splits when the runner-up's merit over
 * the best's is below 1 − ε (ε the Hoeffding bound with R = 1), or ε <
 * `tieThreshold`. Leaves predict the mean target of the rows that reached
 * them. (River's default is `"adaptive"`, choosing per leaf between the
 * mean and a linear model; freshml's leaves are means only, so a leaf's
 * prediction is always within the targets it saw.)
 *
 * Deterministic, bounded (at most `maxLeaves` leaves; a leaf that can never
 * split drops its histograms), serialisable, mergeable when both trees have
 * the same splits (histograms merge as in Ben-Haim & Tom-Tov, so a merged
 * leaf's bins approximate, and its mean equals, learning both shards). `forget`
 * is not supported. Values beyond ±1e100 are refused (`non_finite`).
 *
 * @example
 * ```ts
 * import { HoeffdingTreeRegressor } from "freshml";
 * const tree = new HoeffdingTreeRegressor({ gracePeriod: 50 });
 * const X: number[][] = [];
 * const y: number[] = [];
 * for (let i = 0; i < 2000; i++) {
 *   const x = ((i * 7919) % 1000) / 100;
 *   X.push([x]);
 *   y.push(x < 5 ? 1 : 10);
 * }
 * tree.update({ X, y });
 * tree.predict([[2], [8]]); // ≈ Float64Array [1, 10]
 * ```
 */
export class HoeffdingTreeRegressor implements Trainer {
  readonly kind = "HoeffdingTreeRegressor";
  readonly task = "regression" as const;
  readonly params: Readonly<HoeffdingTreeRegressorParams>;
  private state: State | null = null;

  constructor(params: Partial<HoeffdingTreeRegressorParams> = {}) {
    const { bins = 32, minSamplesSplit = 5, maxSize = 100, ...shared } = params ?? {};
    const tree = treeParams(shared);
    checkParam(typeof bins === "number" && Number.isInteger(bins) && bins >= 2 && bins <= 1024, "bins", "an integer in [2, 1024]", bins);
    checkParam(typeof minSamplesSplit === "number" && Number.isInteger(minSamplesSplit) && minSamplesSplit >= 1, "minSamplesSplit",
      "an integer ≥ 1", minSamplesSplit);
    checkParam(maxSize === null || (typeof maxSize === "number" && Number.isFinite(maxSize) && maxSize > 0), "maxSize",
      "null or a finite number of MiB > 0", maxSize);
    this.params = Object.freeze({ ...tree, bins, minSamplesSplit, maxSize });
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
      statistics += 7;
      const h = nd.leaf.hist;
      if (h) for (let j = 0; j < s.d; j++) statistics += 1 + 4 * h.size[j]!;
    }
    return { nodes: s.nodes.length, leaves: s.leaves, depth, statistics };
  }

  /**
   * The estimated memory of the learned state in bytes, the figure `maxSize`
   * bounds: every histogram at its allocated size (d · 2·bins · 4 numbers and d
   * bin counts), plus 160 bytes per node for its objects and scalars.
   * 0 before the first update.
   *
   * @example
   * ```ts
   * import { HoeffdingTreeRegressor } from "freshml";
   * const tree = new HoeffdingTreeRegressor({ maxSize: 1 });
   * tree.update({ X: [[1, 2], [3, 4]], y: [1, 2] });
   * tree.memoryBytes(); // 4,264: one leaf, two features' histograms of 2·32 bins
   * ```
   */
  memoryBytes(): number {
    return this.state ? estimateBytes(this.state) : 0;
  }

  update(batch: Batch): void {
    const b = readBatch(batch, this.state?.d);
    checkMagnitudes(b.X, b.cols, b.y);
    // Everything is checked: from here on nothing throws, so the update is all or nothing.
    const B = this.params.bins;
    const fresh = this.state === null;
    const s = this.state ?? { d: b.cols, n: 0, nodes: [{ split: null, leaf: newLeaf(b.cols, B, null), depth: 0 }], leaves: 1 };
    this.state = s;
    if (fresh) this.enforceBudget(s);
    const X = b.X;
    const d = b.cols;
    for (let i = 0; i < b.rows; i++) {
      const o = i * d;
      const at = route(s.nodes, X, o);
      const leaf = s.nodes[at]!.leaf!;
      const y = b.y[i]!;
      addOne(leaf.obs, y);
      s.n++;
      if (leaf.hist) {
        for (let j = 0; j < d; j++) histInsert(leaf.hist, j, B, X[o + j]!, y);
        if (leaf.obs.n - leaf.last >= this.params.gracePeriod) this.attemptSplit(s, at);
      }
    }
  }

  /**
   * Adds the statistics of another tree with the same parameters and the same
   * splits; trees whose splits differ throw `incompatible_merge` and stay unchanged.
   */
  merge(other: Trainer): void {
    checkMergeable(this, other);
    const o = (other as HoeffdingTreeRegressor).state;
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
    const B = this.params.bins;
    for (let i = 0; i < next.nodes.length; i++) {
      const a = next.nodes[i]!.leaf;
      const bl = o.nodes[i]!.leaf;
      const sp = next.nodes[i]!.split;
      if (sp) sp.n += o.nodes[i]!.split!.n;
      if (!a || !bl) continue;
      a.prior = combine(a.prior, bl.prior);
      a.obs = combine(a.obs, bl.obs);
      a.last += bl.last;
      a.hist = a.hist && bl.hist ? mergeHist(a.hist, bl.hist, next.d, B) : null;
    }
    next.n += o.n;
    this.state = next;
    for (let i = 0; i < next.nodes.length; i++) {
      const l = next.nodes[i]!.leaf;
      if (l && l.hist && l.obs.n - l.last >= this.params.gracePeriod) this.attemptSplit(next, i);
    }
    this.enforceBudget(next);
  }

  predict(X: FeatureInput): Float64Array {
    const s = this.state;
    if (!s) throw notFitted(this.kind);
    const f = readFeatures(X, s.d);
    const out = new Float64Array(f.rows);
    for (let i = 0; i < f.rows; i++) {
      const leaf = s.nodes[route(s.nodes, f.X, i * f.cols)]!.leaf!;
      out[i] = combine(leaf.prior, leaf.obs).mean;
    }
    return out;
  }

  toJSON(): TrainerJSON {
    const s = this.state;
    return makeEnvelope(this.kind, { ...this.params }, s && {
      d: s.d,
      n: s.n,
      nodes: s.nodes.map((nd) => ({ split: nd.split && { ...nd.split }, leaf: nd.leaf && leafToJSON(nd.leaf, s.d, this.params.bins) })),
    });
  }

  /** Restores from {@link HoeffdingTreeRegressor.toJSON} output; a broken invariant is `invalid_state`. */
  static fromJSON(json: unknown): HoeffdingTreeRegressor {
    const { model, state } = restoreTree(json, {
      kind: "HoeffdingTreeRegressor",
      paramsCheck,
      leafCheck,
      make: (params) => new HoeffdingTreeRegressor(params),
      maxLeaves: (m) => m.params.maxLeaves,
      leafFromJSON: (m, i, leaf, d) => leafFromJSON("HoeffdingTreeRegressor", i, leaf, d, m.params.bins),
      rows: (leaf) => leaf.obs.n,
    });
    model.state = state;
    return model;
  }

  clone(): HoeffdingTreeRegressor {
    return new HoeffdingTreeRegressor(this.params);
  }

  copy(): HoeffdingTreeRegressor {
    const c = this.clone();
    c.state = this.state && copyState(this.state);
    return c;
  }

  private attemptSplit(s: State, at: number): void {
    const node = s.nodes[at]!;
    const leaf = node.leaf!;
    const p = this.params;
    const W = leaf.obs.n;
    leaf.last = W;
    if ((p.maxDepth !== null && node.depth >= p.maxDepth) || s.leaves >= p.maxLeaves) {
      leaf.hist = null; // this leaf can never split: its histograms are dead weight
      return;
    }
    if (!(leaf.obs.m2 > 0)) return;
    const h = leaf.hist!;
    const cap = 2 * p.bins;
    const hd = h.data;
    let best: Candidate | null = null;
    let second = 0; // the null split has merit 0
    const sufN = new Float64Array(cap);
    const sufM = new Float64Array(cap);
    const sufS = new Float64Array(cap);
    for (let j = 0; j < s.d; j++) {
      const size = h.size[j]!;
      if (size < 2) continue;
      const base = j * cap * 4;
      // Suffix moments of the bins, then a left-to-right sweep.
      let rn = 0, rm = 0, rs = 0;
      for (let i = size - 1; i >= 0; i--) {
        const q = base + i * 4;
        const bn = hd[q + 1]!, bm = hd[q + 2]!, bs = hd[q + 3]!;
        const n = rn + bn;
        const dlt = bm - rm;
        rs = rs + bs + (rn > 0 ? (dlt * dlt * rn * bn) / n : 0);
        rm = rn > 0 ? rm + (dlt * bn) / n : bm;
        rn = n;
        sufN[i] = rn;
        sufM[i] = rm;
        sufS[i] = rs;
      }
      const total = sufS[0]!;
      let ln = 0, lm = 0, ls = 0;
      let fb: Candidate | null = null;
      for (let i = 0; i < size - 1; i++) {
        const q = base + i * 4;
        const bn = hd[q + 1]!, bm = hd[q + 2]!, bs = hd[q + 3]!;
        const n = ln + bn;
        const dlt = bm - lm;
        ls = ls + bs + (ln > 0 ? (dlt * dlt * ln * bn) / n : 0);
        lm = ln > 0 ? lm + (dlt * bn) / n : bm;
        ln = n;
        const nR = sufN[i + 1]!;
        if (ln < p.minSamplesSplit || nR < p.minSamplesSplit) continue;
        const merit = (total - ls - sufS[i + 1]!) / W;
        if (!fb || merit > fb.merit) {
          fb = {
            merit,
            feature: j,
            threshold: (hd[q]! + hd[q + 4]!) / 2,
            left: { n: ln, mean: lm, m2: ls },
            right: { n: nR, mean: sufM[i + 1]!, m2: sufS[i + 1]! },
          };
        }
      }
      if (!fb) continue;
      if (!best || fb.merit > best.merit) {
        if (best) second = Math.max(second, best.merit);
        best = fb;
      } else second = Math.max(second, fb.merit);
    }
    if (!best || !(best.merit > 0)) return;
    const eps = hoeffdingBound(1, p.splitConfidence, W);
    if (second / best.merit < 1 - eps || eps < p.tieThreshold) {
      const k = s.nodes.length;
      const childDepth = node.depth + 1;
      const full = s.leaves + 1 >= p.maxLeaves;
      const grows = !full && (p.maxDepth === null || childDepth < p.maxDepth);
      s.nodes.push({ split: null, leaf: newLeaf(s.d, p.bins, best.left, grows), depth: childDepth });
      s.nodes.push({ split: null, leaf: newLeaf(s.d, p.bins, best.right, grows), depth: childDepth });
      s.nodes[at] = { split: { f: best.feature, t: best.threshold, l: k, r: k + 1, n: W }, leaf: null, depth: node.depth };
      s.leaves++;
      if (full) for (const nd of s.nodes) if (nd.leaf) nd.leaf.hist = null; // the tree is full: no leaf will split again
      this.enforceBudget(s);
    }
  }

  /**
   * Over `maxSize`, drops the histograms of the least promising growing leaves
   * (smallest sum of squared target deviations, inherited and learned; ties by
   * node order, so it is deterministic) until the estimate is within budget.
   * Memory only grows when a split makes leaves, so checking there bounds it.
   */
  private enforceBudget(s: State): void {
    const maxSize = this.params.maxSize;
    if (maxSize === null) return;
    const limit = maxSize * 1048576;
    let bytes = estimateBytes(s);
    if (bytes <= limit) return;
    const growing: Array<{ i: number; promise: number }> = [];
    s.nodes.forEach((nd, i) => {
      if (nd.leaf?.hist) growing.push({ i, promise: combine(nd.leaf.prior, nd.leaf.obs).m2 });
    });
    growing.sort((a, b) => a.promise - b.promise || a.i - b.i);
    for (const { i } of growing) {
      if (bytes <= limit) break;
      const leaf = s.nodes[i]!.leaf!;
      bytes -= histBytes(leaf.hist!);
      leaf.hist = null;
    }
  }
}

/** Bytes counted per node (its objects, split or leaf scalars) by {@link HoeffdingTreeRegressor.memoryBytes}. */
const NODE_BYTES = 160;

function histBytes(h: Hist): number {
  return h.data.byteLength + h.size.byteLength;
}

function estimateBytes(s: State): number {
  let bytes = s.nodes.length * NODE_BYTES;
  for (const nd of s.nodes) if (nd.leaf?.hist) bytes += histBytes(nd.leaf.hist);
  return bytes;
}

function combine(a: Moments, b: Moments): Moments {
  if (b.n === 0) return { ...a };
  if (a.n === 0) return { ...b };
  const n = a.n + b.n;
  const dlt = b.mean - a.mean;
  return { n, mean: a.mean + (dlt * b.n) / n, m2: a.m2 + b.m2 + (dlt * dlt * a.n * b.n) / n };
}

function addOne(m: Moments, y: number): void {
  m.n++;
  const dlt = y - m.mean;
  m.mean += dlt / m.n;
  m.m2 += dlt * (y - m.mean);
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

function newHist(d: number, B: number): Hist {
  return { size: new Int32Array(d), data: new Float64Array(d * 2 * B * 4) };
}

function newLeaf(d: number, B: number, prior: Moments | null, grows = true): Leaf {
  return { prior: prior ? { ...prior } : { n: 0, mean: 0, m2: 0 }, obs: { n: 0, mean: 0, m2: 0 }, last: 0, hist: grows ? newHist(d, B) : null };
}

/** Adds (x, y) to feature j's histogram; at 2·B bins, compresses it to B. */
function histInsert(h: Hist, j: number, B: number, x: number, y: number): void {
  const cap = 2 * B;
  const base = j * cap * 4;
  const hd = h.data;
  let size = h.size[j]!;
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hd[base + mid * 4]! < x) lo = mid + 1;
    else hi = mid;
  }
  const q = base + lo * 4;
  if (lo < size && hd[q] === x) {
    const n = hd[q + 1]! + 1;
    hd[q + 1] = n;
    const dlt = y - hd[q + 2]!;
    const m = hd[q + 2]! + dlt / n;
    hd[q + 2] = m;
    hd[q + 3] = hd[q + 3]! + dlt * (y - m);
    return;
  }
  if (lo < size) hd.copyWithin(q + 4, q, base + size * 4);
  hd[q] = x;
  hd[q + 1] = 1;
  hd[q + 2] = y;
  hd[q + 3] = 0;
  size++;
  h.size[j] = size >= cap ? compress(hd, base, size, B) : size;
}

// Scratch for compress (module-level: compress runs synchronously and never re-enters).
let gapScratch = new Float64Array(0);

/**
 * Merges neighbouring bins until `target` remain, in one pass: the gaps
 * between centroids at or below the (size − target)-th smallest are closed,
 * left to right, until enough merges are made. Returns the new size.
 */
function compress(hd: Float64Array, base: number, size: number, target: number): number {
  const need = size - target;
  if (need <= 0) return size;
  if (gapScratch.length < 2 * size) gapScratch = new Float64Array(2 * size);
  const gaps = gapScratch.subarray(0, size - 1);
  const sorted = gapScratch.subarray(size, 2 * size - 1);
  for (let i = 0; i + 1 < size; i++) gaps[i] = hd[base + (i + 1) * 4]! - hd[base + i * 4]!;
  sorted.set(gaps);
  sorted.sort();
  const tau = sorted[need - 1]!;
  let merges = 0;
  let w = 0; // the bin being written (index)
  for (let i = 1; i < size; i++) {
    const src = base + i * 4;
    const dst = base + w * 4;
    if (merges < need && gaps[i - 1]! <= tau) {
      const na = hd[dst + 1]!;
      const nb = hd[src + 1]!;
      const n = na + nb;
      const dlt = hd[src + 2]! - hd[dst + 2]!;
      hd[dst] = (na * hd[dst]! + nb * hd[src]!) / n;
      hd[dst + 2] = hd[dst + 2]! + (dlt * nb) / n;
      hd[dst + 3] = hd[dst + 3]! + hd[src + 3]! + (dlt * dlt * na * nb) / n;
      hd[dst + 1] = n;
      merges++;
    } else {
      w++;
      if (w !== i) hd.copyWithin(base + w * 4, src, src + 4);
    }
  }
  return w + 1;
}

/** The union of two histograms (equal centroids combined), compressed to B bins per feature. */
function mergeHist(a: Hist, b: Hist, d: number, B: number): Hist {
  const out = newHist(d, B);
  const cap = 2 * B;
  for (let j = 0; j < d; j++) {
    const base = j * cap * 4;
    const bins: Array<[number, number, number, number]> = [];
    for (const h of [a, b]) {
      for (let i = 0; i < h.size[j]!; i++) {
        const q = base + i * 4;
        bins.push([h.data[q]!, h.data[q + 1]!, h.data[q + 2]!, h.data[q + 3]!]);
      }
    }
    bins.sort((p, q) => p[0] - q[0]);
    const merged: Array<[number, number, number, number]> = [];
    for (const bin of bins) {
      const last = merged[merged.length - 1];
      if (last && last[0] === bin[0]) {
        const m = combine({ n: last[1], mean: last[2], m2: last[3] }, { n: bin[1], mean: bin[2], m2: bin[3] });
        merged[merged.length - 1] = [last[0], m.n, m.mean, m.m2];
      } else merged.push(bin);
    }
    // Up to 2·(2B − 1) bins: write what fits, compressing to B first when needed.
    const tmp = new Float64Array(Math.max(merged.length, 1) * 4);
    merged.forEach((bin, i) => tmp.set(bin, i * 4));
    const size = merged.length >= cap ? compress(tmp, 0, merged.length, B) : merged.length;
    out.data.set(tmp.subarray(0, size * 4), base);
    out.size[j] = size;
  }
  return out;
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

function copyState(s: State): State {
  return {
    d: s.d,
    n: s.n,
    leaves: s.leaves,
    nodes: s.nodes.map((nd) => ({
      split: nd.split && { ...nd.split },
      depth: nd.depth,
      leaf: nd.leaf && {
        prior: { ...nd.leaf.prior },
        obs: { ...nd.leaf.obs },
        last: nd.leaf.last,
        hist: nd.leaf.hist && { size: nd.leaf.hist.size.slice(), data: nd.leaf.hist.data.slice() },
      },
    })),
  };
}

function leafToJSON(l: Leaf, d: number, B: number): LeafJSON {
  let hist: LeafJSON["hist"] = null;
  if (l.hist) {
    const h = l.hist;
    const x: number[] = [];
    const cnt: number[] = [];
    const ym: number[] = [];
    const m2: number[] = [];
    for (let j = 0; j < d; j++) {
      const base = j * 2 * B * 4;
      for (let i = 0; i < h.size[j]!; i++) {
        const q = base + i * 4;
        x.push(h.data[q]!);
        cnt.push(h.data[q + 1]!);
        ym.push(h.data[q + 2]!);
        m2.push(h.data[q + 3]!);
      }
    }
    hist = { size: Array.from(h.size), x, cnt, ym, m2 };
  }
  return { prior: [l.prior.n, l.prior.mean, l.prior.m2], obs: [l.obs.n, l.obs.mean, l.obs.m2], last: l.last, hist };
}

function leafFromJSON(kind: string, i: number, j: LeafJSON, d: number, B: number): Leaf {
  const obs = { n: j.obs[0], mean: j.obs[1], m2: j.obs[2] };
  if (j.last > obs.n) throw badState(kind, `node ${i} attempted a split at ${j.last} rows but has ${obs.n}`);
  let hist: Hist | null = null;
  if (j.hist) {
    const src = j.hist;
    checkLength(`nodes[${i}].hist.size`, src.size, d);
    const total = src.size.reduce((a, b) => a + b, 0);
    for (const name of ["x", "cnt", "ym", "m2"] as const) checkLength(`nodes[${i}].hist.${name}`, src[name], total);
    hist = newHist(d, B);
    let k = 0;
    for (let f = 0; f < d; f++) {
      const size = src.size[f]!;
      if (size >= 2 * B) throw badState(kind, `node ${i} feature ${f} has ${size} bins, more than ${2 * B - 1}`, { observed: size, expected: `< ${2 * B}` });
      let rows = 0;
      for (let b = 0; b < size; b++, k++) {
        const q = (f * 2 * B + b) * 4;
        if (!(src.cnt[k]! > 0)) throw badState(kind, `node ${i} has a bin with count ${src.cnt[k]}`, { observed: src.cnt[k] });
        if (!(src.m2[k]! >= 0)) throw badState(kind, `node ${i} has a bin with a negative sum of squares`, { observed: src.m2[k] });
        if (b > 0 && !(src.x[k]! > src.x[k - 1]!)) throw badState(kind, `node ${i} feature ${f} has unsorted bins`);
        hist.data[q] = src.x[k]!;
        hist.data[q + 1] = src.cnt[k]!;
        hist.data[q + 2] = src.ym[k]!;
        hist.data[q + 3] = src.m2[k]!;
        rows += src.cnt[k]!;
      }
      if (rows !== obs.n) throw badState(kind, `node ${i} feature ${f}'s bins hold ${rows} rows, the leaf ${obs.n}`, { observed: rows, expected: obs.n });
      hist.size[f] = size;
    }
  }
  return { prior: { n: j.prior[0], mean: j.prior[1], m2: j.prior[2] }, obs, last: j.last, hist };
}
