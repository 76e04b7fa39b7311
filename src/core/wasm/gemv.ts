import { gemv } from "../kernels.js";
import { ensureMemory, instantiateWasm, simdEnabled, type WasmMemory } from "./load.js";
import { gemvWasmBase64 } from "./gemv-bytes.js";

interface GemvExports {
  memory: WasmMemory;
  gemv(x: number, rows: number, d: number, w: number, b0: number, out: number, stride: number): void;
  gauss(x: number, rows: number, d: number, mean: number, invVar: number, base: number, k: number, out: number): void;
}

// undefined: not tried yet; null: WebAssembly SIMD is not available here.
let wasm: GemvExports | null | undefined;

function loadWasm(): GemvExports | null {
  if (!simdEnabled()) return null;
  if (wasm === undefined) wasm = instantiateWasm<GemvExports>(gemvWasmBase64);
  return wasm;
}

/** Values per chunk of rows copied in (512 KiB), which bounds WebAssembly memory too. */
const CHUNK_VALUES = 1 << 16;
/** Below this many values the JS kernel is as fast as copying. */
const WASM_MIN = 64;

/**
 * Fills `dst` (rows `from` to `to`, row-major) with the features the model
 * sees, e.g. standardised; by default the rows are used as they are.
 */
export type RowTransform = (from: number, to: number, dst: Float64Array) => void;

/**
 * Linear scores of `k` weight rows: `out[i·k + c] = b[c] + Σⱼ X[i·d + j]·W[c·d + j]`
 * for rows `i < rows` of row-major `X`, each sum in {@link dot}'s order, so
 * the scores equal, bit for bit, a loop of `b[c] + dot(W, c·d, X, i·d, d)`
 * (the order of the two factors does not change a product).
 *
 * Runs gemv.wat (WebAssembly SIMD, two rows at a time) on chunks of rows
 * copied into its memory, or the JS {@link gemv} where WebAssembly SIMD is
 * unavailable or turned off. With `transform`, each chunk is filled by it
 * rather than copied from `X` (which is then not read), so standardised
 * features need no separate full-size copy.
 */
export function linearScores(
  X: Float64Array,
  rows: number,
  d: number,
  W: Float64Array,
  b: ArrayLike<number>,
  k: number,
  out: Float64Array,
  transform?: RowTransform,
): void {
  const g = rows * d >= WASM_MIN ? loadWasm() : null;
  const chunk = Math.max(2, Math.floor(CHUNK_VALUES / d));
  if (!g) {
    if (!transform) {
      for (let c = 0; c < k; c++) gemv(X, rows, d, W, c * d, b[c]!, out, c, k);
      return;
    }
    const Z = new Float64Array(Math.min(rows, chunk) * d);
    for (let start = 0; start < rows; start += chunk) {
      const m = Math.min(chunk, rows - start);
      transform(start, start + m, Z.subarray(0, m * d));
      for (let c = 0; c < k; c++) gemv(Z, m, d, W, c * d, b[c]!, out, start * k + c, k);
    }
    return;
  }
  const n = Math.min(rows, chunk);
  const wOff = 0;
  const outOff = (k * d * 8 + 15) & ~15;
  const xOff = (outOff + n * k * 8 + 15) & ~15;
  ensureMemory(g.memory, xOff + n * d * 8);
  const buf = g.memory.buffer;
  new Float64Array(buf, wOff, k * d).set(W.subarray(0, k * d));
  const x = new Float64Array(buf, xOff, n * d);
  const o = new Float64Array(buf, outOff, n * k);
  for (let start = 0; start < rows; start += n) {
    const m = Math.min(n, rows - start);
    if (transform) transform(start, start + m, x.subarray(0, m * d));
    else x.set(X.subarray(start * d, (start + m) * d));
    for (let c = 0; c < k; c++) g.gemv(xOff, m, d, wOff + c * d * 8, b[c]!, outOff + c * 8, k);
    out.set(m === n ? o : o.subarray(0, m * k), start * k);
  }
}

/**
 * Gaussian naive Bayes joint log-likelihoods with gemv.wat's `gauss`:
 * `out[i·k + c] = base[c] − 0.5·(s0 + s1)`, s0 and s1 summing
 * `(X[i·d + j] − mean[c·d + j])² · invVar[c·d + j]` over the even and the odd
 * columns (a last odd column into s0), in the order of GaussianNB's JS loop,
 * so the values are the same to the bit. Returns false, doing nothing, where
 * WebAssembly SIMD is unavailable or turned off (the caller runs its loop).
 */
export function gaussianScoresSimd(
  X: Float64Array,
  rows: number,
  d: number,
  mean: Float64Array,
  invVar: Float64Array,
  base: Float64Array,
  k: number,
  out: Float64Array,
): boolean {
  const g = loadWasm();
  if (!g) return false;
  const n = Math.min(rows, Math.max(1, Math.floor(CHUNK_VALUES / d)));
  const kd = k * d * 8;
  const meanOff = 0;
  const invOff = kd;
  const baseOff = 2 * kd;
  const outOff = (baseOff + k * 8 + 15) & ~15;
  const xOff = (outOff + n * k * 8 + 15) & ~15;
  ensureMemory(g.memory, xOff + n * d * 8);
  const buf = g.memory.buffer;
  new Float64Array(buf, meanOff, k * d).set(mean.subarray(0, k * d));
  new Float64Array(buf, invOff, k * d).set(invVar.subarray(0, k * d));
  new Float64Array(buf, baseOff, k).set(base.subarray(0, k));
  const x = new Float64Array(buf, xOff, n * d);
  const o = new Float64Array(buf, outOff, n * k);
  for (let start = 0; start < rows; start += n) {
    const m = Math.min(n, rows - start);
    x.set(X.subarray(start * d, (start + m) * d));
    g.gauss(xOff, m, d, meanOff, invOff, baseOff, k, outOff);
    out.set(m === n ? o : o.subarray(0, m * k), start * k);
  }
  return true;
}
