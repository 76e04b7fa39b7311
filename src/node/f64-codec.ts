/**
 * Compact, exact encoding of the number arrays in a learner's state for the
 * file store: an array of 16 or more numbers becomes `{ "$f64": base64 }` of
 * its little-endian IEEE-754 bytes. About half the size of decimal JSON,
 * several times faster to write and read, and bit-exact (−0, every last bit).
 */

const MIN_LENGTH = 16;
const littleEndian = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

function isNumberArray(v: unknown): v is number[] {
  if (!Array.isArray(v) || v.length < MIN_LENGTH) return false;
  for (const x of v) if (typeof x !== "number") return false;
  return true;
}

function toBase64(a: number[]): string {
  const f = Float64Array.from(a);
  if (!littleEndian) {
    const view = new DataView(f.buffer);
    for (let i = 0; i < a.length; i++) view.setFloat64(i * 8, a[i]!, true);
  }
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString("base64");
}

function fromBase64(s: string): number[] {
  const bytes = Buffer.from(s, "base64");
  if (bytes.length % 8 !== 0) throw new Error("f64 payload is not whole numbers");
  const copy = new Uint8Array(bytes); // aligned
  const view = new DataView(copy.buffer);
  const out = new Array<number>(copy.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** Replaces every number array of 16+ elements, at any depth, by its `{ $f64 }` form. */
export function packArrays(value: unknown): unknown {
  if (isNumberArray(value)) return { $f64: toBase64(value) };
  if (Array.isArray(value)) return value.map(packArrays);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = packArrays(v);
    return out;
  }
  return value;
}

/** The inverse of {@link packArrays}. Throws on a malformed payload. */
export function unpackArrays(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unpackArrays);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    const f = (value as { $f64?: unknown }).$f64;
    if (keys.length === 1 && typeof f === "string") return fromBase64(f);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = unpackArrays(v);
    return out;
  }
  return value;
}
