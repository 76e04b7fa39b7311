/**
 * Node-only parts of freshml (the file-backed model store, once it lands).
 * They live behind this entry point so the core `freshml` entry stays free of
 * Node built-ins and runs in browsers and workers.
 *
 * @packageDocumentation
 */
export {};
