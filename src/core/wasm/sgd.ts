import { ensureMemory, instantiateWasm, type WasmMemory } from "./load.js";
import { sgdWasmBase64 } from "./sgd-bytes.js";

interface SgdExports {
  memory: WasmMemory;
  pass(x: number, y: number, order: number, rows: number, d: number, w: number, io: number): number;
}

/** Scalars of one pass, in and out (see sgd.wat). */
export interface SgdPassScalars {
  intercept: number;
  t: number;
  alpha: number;
  eta0: number;
  t0: number;
  epsilon: number;
  /** 0 constant, 1 eta0/√√t, 2 eta0/√t, 4 optimal. */
  schedule: 0 | 1 | 2 | 4;
  /** 0 squared, 1 huber, 2 logistic. */
  loss: 0 | 1 | 2;
  fitIntercept: boolean;
}

let wasm: SgdExports | null | undefined;

/** The SIMD SGD pass, or null where WebAssembly SIMD is unavailable. */
export function sgdKernel(): SgdKernel | null {
  if (wasm === undefined) wasm = instantiateWasm<SgdExports>(sgdWasmBase64, { m: { exp: Math.exp } });
  return wasm ? new SgdKernel(wasm) : null;
}

const IO = 0; // 9 f64 slots
const W = 128;
/** Rows per copy into WebAssembly memory: bounds it to about 8 MiB of features. */
const chunkRows = (d: number): number => Math.max(1, Math.floor((1 << 20) / d));

/**
 * Runs sgd.wat's pass over a batch: copies the weights, the visiting order,
 * the targets and the features into WebAssembly memory (in chunks of rows,
 * gathered in visiting order when the batch is large), runs, and copies the
 * weights back. The copy streams memory sequentially, after which the pass
 * runs from cache.
 */
export class SgdKernel {
  constructor(private readonly k: SgdExports) {}

  /** Returns false (stopping early) on a non-finite linear output; `w` and `s` are then partly updated. */
  pass(X: Float64Array, target: ArrayLike<number>, order: Uint32Array, rows: number, d: number, w: Float64Array, s: SgdPassScalars): boolean {
    const k = this.k;
    const n = Math.min(rows, chunkRows(d));
    const orderOff = (W + d * 8 + 15) & ~15;
    const yOff = (orderOff + n * 4 + 15) & ~15;
    const xOff = (yOff + n * 8 + 15) & ~15;
    ensureMemory(k.memory, xOff + n * d * 8);
    const buf = k.memory.buffer;
    const io = new Float64Array(buf, IO, 9);
    io[0] = s.intercept;
    io[1] = s.t;
    io[2] = s.alpha;
    io[3] = s.eta0;
    io[4] = s.t0;
    io[5] = s.epsilon;
    io[6] = s.schedule;
    io[7] = s.loss;
    io[8] = s.fitIntercept ? 1 : 0;
    new Float64Array(buf, W, d).set(w);
    const ord = new Uint32Array(buf, orderOff, n);
    const y = new Float64Array(buf, yOff, n);
    const x = new Float64Array(buf, xOff, n * d);
    let ok = 1;
    if (n === rows) {
      // The whole batch fits: copy it as is and visit it in the given order.
      ord.set(order.subarray(0, rows));
      for (let i = 0; i < rows; i++) y[i] = target[i]!;
      x.set(X.subarray(0, rows * d));
      ok = k.pass(xOff, yOff, orderOff, rows, d, W, IO);
    } else {
      for (let start = 0; start < rows && ok; start += n) {
        const m = Math.min(n, rows - start);
        for (let r = 0; r < m; r++) {
          const i = order[start + r]!;
          ord[r] = r;
          y[r] = target[i]!;
          x.set(X.subarray(i * d, (i + 1) * d), r * d);
        }
        ok = k.pass(xOff, yOff, orderOff, m, d, W, IO);
      }
    }
    w.set(new Float64Array(buf, W, d));
    s.intercept = io[0]!;
    s.t = io[1]!;
    return ok === 1;
  }
}
