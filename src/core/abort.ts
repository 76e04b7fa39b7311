/**
 * The part of an `AbortSignal` freshml reads: whether it has fired, why, and
 * its `abort` event. Declared here so the core's typings need neither the DOM
 * library nor `@types/node`.
 */
export interface AbortSignalLike {
  /** Whether the signal has fired. */
  readonly aborted: boolean;
  /** Why it fired (`undefined` until then). */
  readonly reason?: unknown;
  /** Subscribes to the `abort` event. */
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  /** Unsubscribes from the `abort` event. */
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * The host's `AbortSignal` type where the program has one (the DOM library or
 * `@types/node` declare a global `AbortSignal`), else {@link AbortSignalLike}.
 * Typings that take or give a signal use this, so they compile in a project
 * with neither, and stay the real `AbortSignal` (assignable both ways) in a
 * project with either.
 */
export type HostAbortSignal = typeof globalThis extends {
  /** The host's `AbortSignal` constructor, where one is declared. */
  AbortSignal: {
    /** The type of its instances. */
    prototype: infer S;
  };
}
  ? S
  : AbortSignalLike;
