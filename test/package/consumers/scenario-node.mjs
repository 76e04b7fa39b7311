// Prints the scenario's result from Node (ESM), WebAssembly on, or off with "js".
import * as f from "freshml";
import { z } from "zod";
import { scenario } from "./scenario.mjs";

f.setSimdEnabled(process.argv[2] !== "js");
console.log(JSON.stringify({ kernels: f.kernelInfo(), result: await scenario(f, z) }));
