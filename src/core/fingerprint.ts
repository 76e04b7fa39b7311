import { ensureMemory, instantiateWasm, simdEnabled, type WasmMemory } from "./wasm/load.js";
import { fingerprintWasmBase64 } from "./wasm/fingerprint-bytes.js";

interface FingerprintExports {
  memory: WasmMemory;
  lanes(p: number, groups: number, io: number): void;
}

// undefined: not tried yet; null: unavailable (no WebAssembly SIMD, or a big-endian host,
// where WebAssembly's little-endian words would not be the Int32Array's).
let wasm: FingerprintExports | null | undefined;

function kernel(): FingerprintExports | null {
  if (!simdEnabled()) return null;
  if (wasm === undefined) {
    const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    wasm = littleEndian ? instantiateWasm<FingerprintExports>(fingerprintWasmBase64) : null;
  }
  return wasm;
}

const IO = 0; // 8 i32: the lanes' s1 then s2
const DATA = 32;
/** Values per copy into WebAssembly memory (512 KiB); even, so each copy is whole groups of four words. */
const CHUNK = 1 << 16;
/** Below this many values the JS loop is as fast as copying. */
const WASM_MIN = 256;

/**
 * A 64-bit fingerprint of numeric data (Fletcher-style: two running sums of
 * its 32-bit words, so every value and their order count), to tell in a
 * model's lineage which data it learned. Not cryptographic: it detects
 * accidents, not adversaries. Pass the previous fingerprint to chain batches.
 *
 * @example
 * ```ts
 * import { fingerprint } from "freshml";
 * const a = fingerprint(new Float64Array([1, 2, 3]));
 * fingerprint(new Float64Array([1, 3, 2])) !== a; // true: order matters
 * ```
 */
export function fingerprint(values: Float64Array, previous = "0000000000000000"): string {
  let a1 = parseInt(previous.slice(0, 8), 16) | 0;
  let a2 = parseInt(previous.slice(8, 16), 16) | 0;
  // Four independent lanes (word index mod 4) keep the adds from waiting on each other.
  let b1 = a1 ^ 0x27d4eb2f;
  let b2 = a2;
  let c1 = a1 ^ 0x165667b1;
  let c2 = a2;
  let d1 = a1 ^ 0x61c88647;
  let d2 = a2;
  const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  const n = words.length;
  let i = 0;
  const k = values.length >= WASM_MIN ? kernel() : null;
  if (k) {
    // The same four lanes in one i32x4 (fingerprint.wat), over whole groups of four words.
    ensureMemory(k.memory, DATA + Math.min(values.length, CHUNK) * 8);
    const io = new Int32Array(k.memory.buffer, IO, 8);
    io[0] = a1;
    io[1] = b1;
    io[2] = c1;
    io[3] = d1;
    io[4] = a2;
    io[5] = b2;
    io[6] = c2;
    io[7] = d2;
    const data = new Float64Array(k.memory.buffer, DATA, Math.min(values.length, CHUNK));
    const whole = values.length & ~1; // two values are one group of four words
    for (let v = 0; v < whole; v += CHUNK) {
      const m = Math.min(CHUNK, whole - v);
      data.set(values.subarray(v, v + m));
      k.lanes(DATA, m >> 1, IO);
    }
    a1 = io[0]!;
    b1 = io[1]!;
    c1 = io[2]!;
    d1 = io[3]!;
    a2 = io[4]!;
    b2 = io[5]!;
    c2 = io[6]!;
    d2 = io[7]!;
    i = whole * 2;
  }
  for (; i + 3 < n; i += 4) {
    a1 = (a1 + words[i]! + 0x9e3779b9) | 0;
    a2 = (a2 + a1) | 0;
    b1 = (b1 + words[i + 1]! + 0x9e3779b9) | 0;
    b2 = (b2 + b1) | 0;
    c1 = (c1 + words[i + 2]! + 0x9e3779b9) | 0;
    c2 = (c2 + c1) | 0;
    d1 = (d1 + words[i + 3]! + 0x9e3779b9) | 0;
    d2 = (d2 + d1) | 0;
  }
  for (; i < n; i++) {
    a1 = (a1 + words[i]! + 0x9e3779b9) | 0;
    a2 = (a2 + a1) | 0;
  }
  let s1 = Math.imul(a1 ^ Math.imul(b1, 3) ^ Math.imul(c1, 5) ^ Math.imul(d1, 7), 0x9e3779b1) ^ n;
  let s2 = Math.imul(a2 ^ Math.imul(b2, 3) ^ Math.imul(c2, 5) ^ Math.imul(d2, 7), 0x85ebca77);
  // A final mix so near-identical inputs do not give near-identical strings.
  s1 = Math.imul(s1 ^ (s2 >>> 15), 0x85ebca6b);
  s2 = Math.imul(s2 ^ (s1 >>> 13), 0xc2b2ae35);
  return (s1 >>> 0).toString(16).padStart(8, "0") + (s2 >>> 0).toString(16).padStart(8, "0");
}
