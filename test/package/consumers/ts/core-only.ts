// The core entry point's typings in a project with neither the DOM library nor
// @types/node (lib ES2022 only): no global leaks in.
import { LinearRegression, Pipeline, Scheduler, kernelInfo, type RunContext } from "freshml";

export const model = new LinearRegression();
export const info = kernelInfo();
export type Ctx = RunContext;
export const P = Pipeline;
export const S = Scheduler;
