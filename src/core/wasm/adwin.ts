import { ensureMemory, instantiateWasm, simdEnabled, type WasmMemory } from "./load.js";
import { adwinWasmBase64 } from "./adwin-bytes.js";

interface AdwinExports {
  memory: WasmMemory;
  feed(vals: number, n: number, totals: number, m2s: number): number;
}

/**
 * An ADWIN detector's running state, shared by its JS loop and this kernel:
 * the window's Welford statistics and the exponential histogram (level k's
 * buckets at `k·cap + (start[k] + i) mod cap`, oldest first).
 */
export interface AdwinState {
  /** Values in the window. */
  width: number;
  /** Their sum. */
  total: number;
  /** Their sum of squared deviations from the mean. */
  m2: number;
  /** Values until the next check. */
  untilCheck: number;
  /** Levels in use. */
  nLevels: number;
  /** Ring start per level. */
  readonly start: Int32Array;
  /** Buckets per level. */
  readonly count: Int32Array;
  /** Bucket sums, 64 levels of `cap`. */
  readonly totals: Float64Array;
  /** Bucket sums of squared deviations, 64 levels of `cap`. */
  readonly m2s: Float64Array;
}

/** ADWIN's parameters as the kernel needs them. */
export interface AdwinKernelParams {
  readonly delta: number;
  readonly minWindowLength: number;
  readonly maxBuckets: number;
  readonly clock: number;
  readonly gracePeriod: number;
}

// Layout of adwin.wat's memory (bytes); the bucket rings and the values follow TABLES.
const IO_F64 = 0;
const IO_I32 = 64;
const START = 128;
const COUNT = 384;
const SIZES = 640;
const TABLES_END = 2176;

// undefined: not tried yet; null: WebAssembly is not available here.
let kernel: AdwinKernel | null | undefined;

/**
 * ADWIN's update loop compiled from adwin.wat, or null where WebAssembly is
 * unavailable or turned off ({@link simdEnabled}); callers then run their JS
 * loop, which computes the same values in the same order.
 */
export function adwinKernel(): AdwinKernel | null {
  if (!simdEnabled()) return null;
  if (kernel === undefined) {
    const wasm = instantiateWasm<AdwinExports>(adwinWasmBase64, { m: { log: Math.log } });
    if (wasm) {
      // 2^k, 2^k / 2 and 2^−k per level, as adwin.ts's tables.
      const t = new Float64Array(wasm.memory.buffer, SIZES, 3 * 64);
      for (let k = 0; k < 64; k++) {
        t[k] = 2 ** k;
        t[64 + k] = 2 ** k / 2;
        t[128 + k] = 2 ** -k;
      }
    }
    kernel = wasm ? new AdwinKernel(wasm) : null;
  }
  return kernel;
}

/**
 * Runs a batch of ADWIN updates in WebAssembly: `values(n, cap)` returns the
 * buffer to fill with the (finite) values, `feed` copies the state in, runs,
 * and copies it back.
 */
export class AdwinKernel {
  constructor(private readonly k: AdwinExports) {}

  /** A buffer for `n` values (valid until the next call); `cap` is maxBuckets + 1. */
  values(n: number, cap: number): Float64Array {
    const valsOff = TABLES_END + 2 * 64 * cap * 8;
    ensureMemory(this.k.memory, valsOff + n * 8);
    return new Float64Array(this.k.memory.buffer, valsOff, n);
  }

  /**
   * Adds the first `n` values of the buffer to `s`. Returns the index of the
   * first value that found a drift (or −1) and the last (or −1).
   */
  feed(n: number, p: AdwinKernelParams, s: AdwinState): { first: number; last: number } {
    const k = this.k;
    const cap = p.maxBuckets + 1;
    const totOff = TABLES_END;
    const m2sOff = totOff + 64 * cap * 8;
    const valsOff = m2sOff + 64 * cap * 8;
    const buf = k.memory.buffer;
    const f = new Float64Array(buf, IO_F64, 5);
    f[0] = s.width;
    f[1] = s.total;
    f[2] = s.m2;
    f[3] = p.delta;
    f[4] = p.minWindowLength;
    const io = new Int32Array(buf, IO_I32, 7);
    io[0] = cap;
    io[1] = p.maxBuckets;
    io[2] = p.clock;
    io[3] = p.gracePeriod;
    io[4] = s.untilCheck;
    io[5] = s.nLevels;
    new Int32Array(buf, START, 64).set(s.start);
    new Int32Array(buf, COUNT, 64).set(s.count);
    const used = s.nLevels * cap;
    const tot = new Float64Array(buf, totOff, 64 * cap);
    const m2s = new Float64Array(buf, m2sOff, 64 * cap);
    tot.set(s.totals.subarray(0, used));
    m2s.set(s.m2s.subarray(0, used));
    const first = k.feed(valsOff, n, totOff, m2sOff);
    s.width = f[0]!;
    s.total = f[1]!;
    s.m2 = f[2]!;
    s.untilCheck = io[4]!;
    s.nLevels = io[5]!;
    s.start.set(new Int32Array(buf, START, 64));
    s.count.set(new Int32Array(buf, COUNT, 64));
    const now = s.nLevels * cap;
    s.totals.set(tot.subarray(0, now));
    s.m2s.set(m2s.subarray(0, now));
    return { first, last: io[6]! };
  }
}
