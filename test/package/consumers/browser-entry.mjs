// Bundled by esbuild (platform browser) for headless Chromium: the same scenario.
import * as f from "freshml";
import { z } from "zod";
import { scenario } from "./scenario.mjs";

globalThis.runScenario = async () => ({ kernels: f.kernelInfo(), result: await scenario(f, z) });
