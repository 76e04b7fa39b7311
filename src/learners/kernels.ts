/**
 * Hot loops over row-major Float64Array data, kept small and separate so the
 * learners stay readable. No allocation happens inside any of them.
 */

/** Dot product of `a[aOff..aOff+n)` and `b[bOff..bOff+n)`. */
export function dot(a: Float64Array, aOff: number, b: Float64Array, bOff: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let j = 0;
  // Two accumulators break the add dependency chain (about 1.6× faster at d = 100).
  for (; j + 1 < n; j += 2) {
    s0 += a[aOff + j]! * b[bOff + j]!;
    s1 += a[aOff + j + 1]! * b[bOff + j + 1]!;
  }
  if (j < n) s0 += a[aOff + j]! * b[bOff + j]!;
  return s0 + s1;
}

/**
 * Accumulates the upper triangle of `Zᵀ Z` (Z is `rows × d`, row-major) into
 * `S` (d × d, row-major). Four rows per pass, so each element of S is loaded
 * and stored once per four rows: this is what lifts the kernel from memory
 * speed towards the arithmetic limit.
 */
export function syrkUpper(Z: Float64Array, rows: number, d: number, S: Float64Array): void {
  let i = 0;
  for (; i + 3 < rows; i += 4) {
    const o0 = i * d;
    const o1 = o0 + d;
    const o2 = o1 + d;
    const o3 = o2 + d;
    for (let j = 0; j < d; j++) {
      const a0 = Z[o0 + j]!;
      const a1 = Z[o1 + j]!;
      const a2 = Z[o2 + j]!;
      const a3 = Z[o3 + j]!;
      const sRow = j * d;
      for (let k = j; k < d; k++) {
        S[sRow + k]! += a0 * Z[o0 + k]! + a1 * Z[o1 + k]! + a2 * Z[o2 + k]! + a3 * Z[o3 + k]!;
      }
    }
  }
  for (; i < rows; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const a = Z[o + j]!;
      const sRow = j * d;
      for (let k = j; k < d; k++) S[sRow + k]! += a * Z[o + k]!;
    }
  }
}

/** Copies the upper triangle of a square row-major matrix into its lower triangle. */
export function mirrorUpper(S: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) {
    for (let k = j + 1; k < d; k++) S[k * d + j] = S[j * d + k]!;
  }
}

/** True when every element is finite. */
export function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v - v !== 0) return false;
  }
  return true;
}

/** Numerically safe log(Σ exp(v[off..off+k))). */
export function logSumExp(v: Float64Array, off: number, k: number): number {
  let m = -Infinity;
  for (let c = 0; c < k; c++) if (v[off + c]! > m) m = v[off + c]!;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let c = 0; c < k; c++) s += Math.exp(v[off + c]! - m);
  return m + Math.log(s);
}
