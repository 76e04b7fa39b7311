import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** The packed tarball (test/package/setup.ts). */
    freshmlTarball: string;
    /** A throwaway project with the tarball, zod and @types/node installed, and test/package/consumers copied in. */
    freshmlApp: string;
  }
}
