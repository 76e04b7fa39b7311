import { adwinWasmBase64 } from "./wasm/adwin-bytes.js";
import { fingerprintWasmBase64 } from "./wasm/fingerprint-bytes.js";
import { gemvWasmBase64 } from "./wasm/gemv-bytes.js";
import { instantiateWasm, simdEnabled } from "./wasm/load.js";
import { momentsWasmBase64 } from "./wasm/moments-bytes.js";
import { sgdWasmBase64 } from "./wasm/sgd-bytes.js";
import { syrkWasmBase64 } from "./wasm/syrk-bytes.js";

/**
 * The numeric kernels that have a WebAssembly SIMD path:
 * - `gemv`: linear scores (predictions of the linear learners, GaussianNB's class scores);
 * - `syrk`: `LinearRegression`'s sufficient statistics (XᵀX);
 * - `sgd`: `SGDRegressor` / `SGDClassifier` updates;
 * - `moments`: `GaussianNB`'s per-class moments;
 * - `adwin`: `ADWIN`'s update loop;
 * - `fingerprint`: the lineage {@link fingerprint}.
 */
export type KernelName = "gemv" | "syrk" | "sgd" | "moments" | "adwin" | "fingerprint";

/** Which path a kernel runs: its WebAssembly SIMD module, or the JS loop (same answers to the bit). */
export type KernelPath = "wasm-simd" | "js";

/** What {@link kernelInfo} reports. */
export interface KernelInfo {
  /** Whether a global `WebAssembly` exists at all. */
  readonly webAssembly: boolean;
  /** The switch of {@link setSimdEnabled}: false turns every kernel to its JS loop. */
  readonly simdEnabled: boolean;
  /** The path each kernel takes now (for inputs large enough to use it: small inputs always run JS). */
  readonly kernels: Readonly<Record<KernelName, KernelPath>>;
}

const modules: Record<KernelName, { base64: string; imports?: object }> = {
  gemv: { base64: gemvWasmBase64 },
  syrk: { base64: syrkWasmBase64 },
  sgd: { base64: sgdWasmBase64, imports: { m: { exp: Math.exp } } },
  moments: { base64: momentsWasmBase64 },
  adwin: { base64: adwinWasmBase64, imports: { m: { log: Math.log } } },
  fingerprint: { base64: fingerprintWasmBase64 },
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// Whether each module compiles and instantiates here: a property of the host
// (WebAssembly and its SIMD extension present, not blocked by a
// Content-Security-Policy), so it is probed once.
let loads: Record<KernelName, boolean> | undefined;

function probe(): Record<KernelName, boolean> {
  if (!loads) {
    const out = {} as Record<KernelName, boolean>;
    for (const [name, m] of Object.entries(modules) as Array<[KernelName, (typeof modules)[KernelName]]>) {
      // The fingerprint kernel also needs a little-endian host (fingerprint.ts).
      out[name] = (name !== "fingerprint" || LITTLE_ENDIAN) && instantiateWasm<unknown>(m.base64, m.imports) !== null;
    }
    loads = out;
  }
  return loads;
}

/**
 * Which path each numeric kernel runs in this host: WebAssembly SIMD, or the
 * JS fallback. A kernel runs WebAssembly when the switch
 * ({@link setSimdEnabled}) is on and its module compiles and instantiates
 * here — not where WebAssembly or its SIMD extension is missing, or where a
 * Content-Security-Policy forbids compiling WebAssembly. Both paths give the
 * same answers to the bit; the WebAssembly one is faster on large batches.
 *
 * @example
 * ```ts
 * import { kernelInfo, setSimdEnabled } from "freshml";
 * kernelInfo().kernels.gemv; // "wasm-simd" in Node 20 and current browsers
 * setSimdEnabled(false);
 * kernelInfo().kernels.gemv; // "js"
 * setSimdEnabled(true);
 * ```
 */
export function kernelInfo(): KernelInfo {
  const on = simdEnabled();
  const loaded = probe();
  const kernels = {} as Record<KernelName, KernelPath>;
  for (const name of Object.keys(modules) as KernelName[]) kernels[name] = on && loaded[name] ? "wasm-simd" : "js";
  return { webAssembly: typeof (globalThis as { WebAssembly?: unknown }).WebAssembly === "object", simdEnabled: on, kernels };
}
