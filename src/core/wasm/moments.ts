import { ensureMemory, instantiateWasm, simdEnabled, type WasmMemory } from "./load.js";
import { momentsWasmBase64 } from "./moments-bytes.js";

interface MomentsExports {
  memory: WasmMemory;
  moments(x: number, cls: number, rows: number, d: number, shift: number, s1: number, s2: number, counts: number): void;
}

let wasm: MomentsExports | null | undefined;

/** Rows per copy into WebAssembly memory: bounds it to about 8 MiB of features. */
const chunkRows = (d: number): number => Math.max(1, Math.floor((1 << 20) / d));

/**
 * Per-class shifted sums with the SIMD kernel (moments.wat): for each row of
 * class c, z = x − shift[c]; s1[c] += z, s2[c] += z², counts[c] += 1. Adds into
 * `s1`, `s2` and `counts`. Returns false where WebAssembly SIMD is unavailable
 * (nothing is then changed, and the caller runs its JS loop).
 */
export function classMomentsSimd(
  X: Float64Array,
  cls: Int32Array,
  rows: number,
  d: number,
  k: number,
  shift: Float64Array,
  s1: Float64Array,
  s2: Float64Array,
  counts: Float64Array,
): boolean {
  if (!simdEnabled()) return false;
  if (wasm === undefined) wasm = instantiateWasm<MomentsExports>(momentsWasmBase64);
  if (!wasm) return false;
  const n = Math.min(rows, chunkRows(d));
  const kd = k * d * 8;
  const shiftOff = 0;
  const s1Off = kd;
  const s2Off = 2 * kd;
  const countsOff = 3 * kd;
  const clsOff = (countsOff + k * 8 + 15) & ~15;
  const xOff = (clsOff + n * 4 + 15) & ~15;
  ensureMemory(wasm.memory, xOff + n * d * 8);
  const buf = wasm.memory.buffer;
  new Float64Array(buf, shiftOff, k * d).set(shift);
  const S1 = new Float64Array(buf, s1Off, k * d);
  const S2 = new Float64Array(buf, s2Off, k * d);
  const C = new Float64Array(buf, countsOff, k);
  S1.set(s1);
  S2.set(s2);
  C.set(counts);
  const clsView = new Int32Array(buf, clsOff, n);
  const x = new Float64Array(buf, xOff, n * d);
  for (let start = 0; start < rows; start += n) {
    const m = Math.min(n, rows - start);
    clsView.set(cls.subarray(start, start + m));
    x.set(X.subarray(start * d, (start + m) * d));
    wasm.moments(xOff, clsOff, m, d, shiftOff, s1Off, s2Off, countsOff);
  }
  s1.set(S1);
  s2.set(S2);
  counts.set(C);
  return true;
}
