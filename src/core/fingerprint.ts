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
