/**
 * A 64-bit FNV-1a style fingerprint of numeric data (as two 32-bit lanes), to
 * tell in a model's lineage which data it learned. Not cryptographic: it
 * detects accidents, not adversaries. `fold` chains batches in order.
 */
export function fingerprint(values: Float64Array, seed = "0000000000000000"): string {
  let h1 = parseInt(seed.slice(0, 8), 16) ^ 0x811c9dc5;
  let h2 = parseInt(seed.slice(8, 16), 16) ^ 0x01000193;
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    h1 = Math.imul(h1 ^ w, 16777619);
    h2 = Math.imul(h2 ^ (w >>> 16 | w << 16), 2246822519);
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}
