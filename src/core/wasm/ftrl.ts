import { ensureMemory, instantiateWasm, simdEnabled, type WasmMemory } from "./load.js";
import { ftrlWasmBase64 } from "./ftrl-bytes.js";

interface FtrlExports {
  memory: WasmMemory;
  pass(x: number, c: number, rows: number, d: number, z: number, g2: number, sq: number, w: number, io: number): number;
  exp(x: number): number;
  standardize(x: number, rows: number, d: number, mean: number, scale: number): void;
}

/** The scalars of one binary FTRL pass (see ftrl.wat). */
export interface FtrlPassScalars {
  /** Loss weight of class 0 and of class 1. */
  w0: number;
  w1: number;
  /** 1 / α. */
  invAlpha: number;
  /** β / α + l2, the weights' denominator without √Σg². */
  base: number;
  l1: number;
  fitIntercept: boolean;
  /** β / α, the intercept's denominator without √Σg². */
  baseIntercept: number;
}

let wasm: FtrlExports | null | undefined;

/** The SIMD binary FTRL pass, or null where WebAssembly SIMD is unavailable or turned off. */
export function ftrlKernel(): FtrlKernel | null {
  if (!simdEnabled()) return null;
  if (wasm === undefined) wasm = instantiateWasm<FtrlExports>(ftrlWasmBase64);
  return wasm ? new FtrlKernel(wasm) : null;
}

const IO = 0; // 11 f64 slots
const STATE = 128;
/** Rows per copy into WebAssembly memory: bounds it to about 8 MiB of features. */
const chunkRows = (d: number): number => Math.max(1, Math.floor((1 << 20) / d));
const align = (n: number): number => (n + 15) & ~15;

/**
 * Runs ftrl.wat's pass: copies the d + 1 coordinates of z, Σg², √Σg² and w
 * (the intercept last, as the state lays them out), the class indices and the
 * features (standardised on the way, when asked) into WebAssembly memory (in chunks of rows), runs, and copies the
 * coordinates back. Bit-identical to the JS loop it replaces.
 */
export class FtrlKernel {
  constructor(private readonly k: FtrlExports) {}

  /** The kernel's own e^x (fdlibm's method): equal to `Math.exp` bit for bit, which the tests check. */
  exp(x: number): number {
    return this.k.exp(x);
  }

  /**
   * With `standardize` (the scaler's means and 1/σ per column), rows are
   * standardised in WebAssembly memory after they are copied in:
   * (x − mean)·scale, as `OnlineStandardScaler.transformInto` computes it.
   */
  pass(
    X: Float64Array,
    yi: Int32Array,
    rows: number,
    d: number,
    z: Float64Array,
    g2: Float64Array,
    sq: Float64Array,
    w: Float64Array,
    s: FtrlPassScalars,
    standardize?: { readonly mean: Float64Array; readonly scale: Float64Array },
  ): void {
    const k = this.k;
    const n = Math.min(rows, chunkRows(d));
    const zOff = STATE;
    const g2Off = align(zOff + d * 8);
    const sqOff = align(g2Off + d * 8);
    const wOff = align(sqOff + d * 8);
    const meanOff = align(wOff + d * 8);
    const scaleOff = align(meanOff + d * 8);
    const cOff = align(scaleOff + d * 8);
    const xOff = align(cOff + n * 4);
    ensureMemory(k.memory, xOff + n * d * 8);
    const buf = k.memory.buffer;
    const io = new Float64Array(buf, IO, 11);
    io[0] = s.w0;
    io[1] = s.w1;
    io[2] = s.invAlpha;
    io[3] = s.base;
    io[4] = s.l1;
    io[5] = s.fitIntercept ? 1 : 0;
    io[6] = s.baseIntercept;
    io[7] = z[d]!;
    io[8] = g2[d]!;
    io[9] = sq[d]!;
    io[10] = w[d]!;
    const zm = new Float64Array(buf, zOff, d);
    const g2m = new Float64Array(buf, g2Off, d);
    const sqm = new Float64Array(buf, sqOff, d);
    const wm = new Float64Array(buf, wOff, d);
    zm.set(z.subarray(0, d));
    g2m.set(g2.subarray(0, d));
    sqm.set(sq.subarray(0, d));
    wm.set(w.subarray(0, d));
    if (standardize) {
      new Float64Array(buf, meanOff, d).set(standardize.mean);
      new Float64Array(buf, scaleOff, d).set(standardize.scale);
    }
    const c = new Int32Array(buf, cOff, n);
    const x = new Float64Array(buf, xOff, n * d);
    for (let start = 0; start < rows; start += n) {
      const m = Math.min(n, rows - start);
      c.set(yi.subarray(start, start + m));
      x.set(X.subarray(start * d, (start + m) * d));
      if (standardize) k.standardize(xOff, m, d, meanOff, scaleOff);
      k.pass(xOff, cOff, m, d, zOff, g2Off, sqOff, wOff, IO);
    }
    z.set(zm);
    g2.set(g2m);
    sq.set(sqm);
    w.set(wm);
    z[d] = io[7]!;
    g2[d] = io[8]!;
    sq[d] = io[9]!;
    w[d] = io[10]!;
  }
}
