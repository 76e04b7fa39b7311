import { describe, expect, inject, it } from "vitest";
// @ts-expect-error -- a plain .mjs script without typings
import { measure } from "../../scripts/bundle-size.mjs";

const app = inject("freshmlApp");
type Sizes = { minified: number; gzip: number; byPackage: Record<string, number> };
const size = (imports: string[] | "*", external: string[] = []): Promise<Sizes> => measure(imports, { entry: "freshml", resolveDir: app, external }) as Promise<Sizes>;
const KB = 1024;

// esbuild, platform browser, minified, gzip -9, with the dependencies an application
// ships (zod included unless said). Figures: docs/bundle-size.md.
describe("bundle size per import, from the installed tarball", () => {
  it("{ RMSE } (the core alone) is at most 5 KB gzip, with no zod or ml-matrix", async () => {
    const s = await size(["RMSE"]);
    expect(Object.keys(s.byPackage)).toEqual(["freshml"]);
    expect(s.gzip).toBeLessThanOrEqual(5 * KB);
  });

  it("{ LinearRegression } is at most 40 KB gzip, with no zod (its saved state is checked by plain code)", async () => {
    const s = await size(["LinearRegression"]);
    expect(s.byPackage["zod"]).toBeUndefined();
    expect(s.byPackage["croner"]).toBeUndefined();
    expect(s.gzip).toBeLessThanOrEqual(40 * KB);
  });

  it("{ Pipeline, LinearRegression, MemoryModelStore } stays within its stated size, without ml-matrix", async () => {
    const s = await size(["Pipeline", "LinearRegression", "MemoryModelStore"]);
    // The Pipeline restores with its own trainer's class: the other learners, and ml-matrix through the full-refit ones, stay out.
    expect(Object.keys(s.byPackage).sort()).toEqual(["freshml", "zod"]);
    expect(s.gzip).toBeLessThanOrEqual(85 * KB);
  });
});
