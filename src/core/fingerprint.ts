import { ensureMemory, instantiateWasm, simdEnabled, type WasmMemory } from "./wasm/load.js";
import { fingerprintWasmBase64 } from "./wasm/fingerprint-bytes.js";

interface FingerprintExports {
  memory: WasmMemory;
  stripes(p: number, n: number, io: number): void;
}

// XXH32's constants (xxHash specification, "XXH32 algorithm description").
const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f | 0;
const P5 = 0x165667b1 | 0;
/** Offsets the second hash's seed from the first's, so a zero chain does not give two equal halves. */
const SEED_B = 0x7f4a7c15;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// undefined: not tried yet; null: unavailable (no WebAssembly SIMD, or a big-endian
// host, where WebAssembly's little-endian words would not be the Int32Array's).
let wasm: FingerprintExports | null | undefined;

function kernel(): FingerprintExports | null {
  if (!simdEnabled()) return null;
  if (wasm === undefined) wasm = LITTLE_ENDIAN ? instantiateWasm<FingerprintExports>(fingerprintWasmBase64) : null;
  return wasm;
}

const IO = 0; // 8 i32: hash A's accumulators v1..v4, then hash B's
const DATA = 32;
/** Values per copy into WebAssembly memory (512 KiB): whole 16-byte stripes. */
const CHUNK = 1 << 16;
/** Below this many values the JS loop is as fast as copying. */
const WASM_MIN = 256;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const round = (acc: number, word: number): number => Math.imul(rotl((acc + Math.imul(word, P2)) | 0, 13), P1);

/** XXH32's tail words and avalanche, from the merged accumulators (or the short-input start). */
function finish(h: number, bytes: number, words: Int32Array, from: number): number {
  h = (h + bytes) | 0;
  for (let i = from; i < words.length; i++) h = Math.imul(rotl((h + Math.imul(words[i]!, P3)) | 0, 17), P4);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The little-endian 32-bit words of `values`, as XXH32 reads bytes. */
function littleEndianWords(values: Float64Array): Int32Array {
  if (LITTLE_ENDIAN) return new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
  const out = new Int32Array(values.length * 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt32(i * 4, true);
  return out;
}

const hex = (h: number): string => h.toString(16).padStart(8, "0");

/**
 * A 64-bit content hash of numeric data, to tell in a model's lineage which
 * data it learned: two XXH32 hashes (the published xxHash 32-bit algorithm:
 * multiply–rotate rounds and a final avalanche, so no linear relation between
 * values cancels out) of the values' IEEE-754 bytes in little-endian order,
 * seeded by the two halves of `previous`. Pass the previous fingerprint to
 * chain batches. Not cryptographic: it detects accidents, not adversaries.
 *
 * Where WebAssembly SIMD is available (see {@link kernelInfo}) the rounds run
 * in `fingerprint.wat`; the result is the same to the bit.
 *
 * @example
 * ```ts
 * import { fingerprint } from "freshml";
 * const a = fingerprint(new Float64Array([1, 2, 3]));
 * fingerprint(new Float64Array([1, 3, 2])) !== a; // true: order matters
 * fingerprint(new Float64Array([4]), a); // chains: depends on [1, 2, 3] too
 * ```
 */
export function fingerprint(values: Float64Array, previous = "0000000000000000"): string {
  const seedA = parseInt(previous.slice(0, 8), 16) | 0;
  const seedB = (parseInt(previous.slice(8, 16), 16) ^ SEED_B) | 0;
  const words = littleEndianWords(values);
  const bytes = words.length * 4;
  const stripes = words.length >> 2;
  if (stripes === 0) return hex(finish((seedA + P5) | 0, bytes, words, 0)) + hex(finish((seedB + P5) | 0, bytes, words, 0));
  let a1 = (seedA + P1 + P2) | 0;
  let a2 = (seedA + P2) | 0;
  let a3 = seedA;
  let a4 = (seedA - P1) | 0;
  let b1 = (seedB + P1 + P2) | 0;
  let b2 = (seedB + P2) | 0;
  let b3 = seedB;
  let b4 = (seedB - P1) | 0;
  let s = 0;
  const k = values.length >= WASM_MIN ? kernel() : null;
  if (k) {
    ensureMemory(k.memory, DATA + Math.min(values.length, CHUNK) * 8);
    const io = new Int32Array(k.memory.buffer, IO, 8);
    io.set([a1, a2, a3, a4, b1, b2, b3, b4]);
    const data = new Float64Array(k.memory.buffer, DATA, Math.min(values.length, CHUNK));
    const whole = stripes * 2; // values in whole stripes (two values a stripe)
    for (let v = 0; v < whole; v += CHUNK) {
      const m = Math.min(CHUNK, whole - v);
      data.set(values.subarray(v, v + m));
      k.stripes(DATA, m >> 1, IO);
    }
    a1 = io[0]!;
    a2 = io[1]!;
    a3 = io[2]!;
    a4 = io[3]!;
    b1 = io[4]!;
    b2 = io[5]!;
    b3 = io[6]!;
    b4 = io[7]!;
    s = stripes;
  }
  for (let i = s * 4; s < stripes; s++, i += 4) {
    const w0 = words[i]!;
    const w1 = words[i + 1]!;
    const w2 = words[i + 2]!;
    const w3 = words[i + 3]!;
    a1 = round(a1, w0);
    a2 = round(a2, w1);
    a3 = round(a3, w2);
    a4 = round(a4, w3);
    b1 = round(b1, w0);
    b2 = round(b2, w1);
    b3 = round(b3, w2);
    b4 = round(b4, w3);
  }
  const hA = (rotl(a1, 1) + rotl(a2, 7) + rotl(a3, 12) + rotl(a4, 18)) | 0;
  const hB = (rotl(b1, 1) + rotl(b2, 7) + rotl(b3, 12) + rotl(b4, 18)) | 0;
  return hex(finish(hA, bytes, words, stripes * 4)) + hex(finish(hB, bytes, words, stripes * 4));
}
