// Must NOT compile: each line misuses the API. The test checks tsc reports these lines.
import { z } from "zod";
import { LinearRegression, Pipeline, RMSE } from "freshml";

export const a = new LinearRegression({ l2: "a lot" }); // MISUSE: l2 is a number
const Row = z.object({ temp: z.number(), load: z.number() });
export const b = new Pipeline({ schema: Row, features: ["temperature"], target: "load", trainer: new LinearRegression() }); // MISUSE: not a schema field
export const c: string = new RMSE().get(); // MISUSE: get() is a number
