import { syrkUpper } from "../kernels.js";
import { ensureMemory, instantiateWasm, simdEnabled, type WasmMemory } from "./load.js";
import { syrkWasmBase64 } from "./syrk-bytes.js";

interface SyrkExports {
  memory: WasmMemory;
  syrk(z: number, rows: number, d: number, s: number): void;
}

// undefined: not tried yet; null: WebAssembly SIMD is not available here.
let wasm: SyrkExports | null | undefined;

function loadWasm(): SyrkExports | null {
  if (wasm === undefined) wasm = instantiateWasm<SyrkExports>(syrkWasmBase64);
  return wasm;
}

/** Rows per chunk: bounds the workspace (and WebAssembly memory, which never shrinks) to 8 MiB per matrix. */
export function syrkChunkRows(d: number): number {
  return Math.max(4, Math.floor((1 << 20) / d) & ~3);
}

/**
 * Scratch space and kernel for accumulating the upper triangle of Zᵀ Z chunk by
 * chunk: `rows(n, d)` returns a row-major buffer to fill with Z, then
 * `accumulate(n, d, S)` adds the upper triangle of its Zᵀ Z into `S`.
 *
 * Uses the WebAssembly SIMD kernel (syrk.wat, f64x2) where the platform has
 * it, and the JS kernel {@link syrkUpper} otherwise. The two sum in different
 * orders, so results can differ in the last bits between platforms; on one
 * platform they are deterministic.
 */
export class SyrkWorkspace {
  private readonly kernel: SyrkExports | null;
  private js = new Float64Array(0);
  private sOffset = 0;

  constructor(useWasm = true) {
    this.kernel = useWasm && simdEnabled() ? loadWasm() : null;
  }

  /** Whether the WebAssembly kernel is in use. */
  get accelerated(): boolean {
    return this.kernel !== null;
  }

  /** A buffer for `n × d` values of Z (valid until the next call). */
  rows(n: number, d: number): Float64Array {
    const k = this.kernel;
    if (!k) {
      if (this.js.length < n * d) this.js = new Float64Array(n * d);
      return this.js.subarray(0, n * d);
    }
    const zBytes = n * d * 8;
    this.sOffset = (zBytes + 15) & ~15;
    ensureMemory(k.memory, this.sOffset + d * d * 8);
    return new Float64Array(k.memory.buffer, 0, n * d);
  }

  /** S (d × d, row-major) += upper triangle of Zᵀ Z for the `n` rows last filled. */
  accumulate(n: number, d: number, S: Float64Array): void {
    const k = this.kernel;
    if (!k) {
      syrkUpper(this.js, n, d, S);
      return;
    }
    const buf = k.memory.buffer;
    const Z = new Float64Array(buf, 0, n * d);
    const T = new Float64Array(buf, this.sOffset, d * d);
    T.fill(0);
    k.syrk(0, n, d, this.sOffset);
    // The kernel covers whole blocks of four rows and pairs of S rows; finish the rest here.
    const rows4 = n & ~3;
    if (d % 2 === 1) {
      const j = d - 1;
      let s = 0;
      for (let i = 0; i < rows4; i++) s += Z[i * d + j]! * Z[i * d + j]!;
      T[j * d + j]! += s;
    }
    if (rows4 < n) syrkUpper(Z.subarray(rows4 * d, n * d), n - rows4, d, T);
    for (let j = 0; j < d; j++) for (let c = j; c < d; c++) S[j * d + c]! += T[j * d + c]!;
  }
}
