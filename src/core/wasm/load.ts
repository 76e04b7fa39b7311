/** The few WebAssembly APIs freshml uses (typed locally: the core takes no DOM or Node typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: unknown };
}

/**
 * Instantiates a base64-encoded module synchronously, or returns null where
 * WebAssembly (or its SIMD extension, which `validate` checks) is missing, so
 * callers fall back to their JS kernels.
 */
export function instantiateWasm<T>(base64: string, imports: object = {}): T | null {
  try {
    const g = globalThis as unknown as { WebAssembly?: WasmApi; atob?: (s: string) => string };
    const api = g.WebAssembly;
    if (!api || typeof g.atob !== "function") return null;
    const bytes = Uint8Array.from(g.atob(base64), (c) => c.charCodeAt(0));
    if (!api.validate(bytes)) return null;
    return new api.Instance(new api.Module(bytes), imports).exports as T;
  } catch {
    return null;
  }
}

/** Grows `memory` to at least `bytes`. */
export function ensureMemory(memory: WasmMemory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
}

let simdAllowed = true;

/**
 * Turns the WebAssembly kernels off (every caller then runs its JS loop) or
 * back on. For tests that hold the JS fallbacks to the same answers, and for
 * hosts that must not compile WebAssembly (a strict Content-Security-Policy).
 */
export function setSimdEnabled(enabled: boolean): void {
  simdAllowed = enabled;
}

/** Whether the WebAssembly kernels may be used. */
export function simdEnabled(): boolean {
  return simdAllowed;
}
