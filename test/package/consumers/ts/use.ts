// Compiled under node16, nodenext, bundler and node10 resolution, with strict: the
// package's typings resolve for every entry point and type a normal use.
import { z } from "zod";
import {
  FreshmlError,
  LinearRegression,
  MemoryModelStore,
  Pipeline,
  RMSE,
  isFreshmlError,
  kernelInfo,
  type FreshmlErrorCode,
  type KernelPath,
  type RunReport,
} from "freshml";
import { FileModelStore } from "freshml/node";
import { learnerChecks, storeChecks, type ConformanceCheck } from "freshml/testing";

const Row = z.object({ temp: z.number(), hour: z.number(), load: z.number() });
const pipeline = new Pipeline({ schema: Row, features: ["temp", "hour"], target: "load", trainer: new LinearRegression({ l2: 1e-3 }), store: new MemoryModelStore() });
export async function run(batches: Array<Array<z.infer<typeof Row>>>): Promise<RunReport> {
  return pipeline.runBatches(batches);
}
export const path: KernelPath = kernelInfo().kernels.gemv;
export const metric: number = new RMSE().get();
export const checks: ConformanceCheck[] = learnerChecks({ make: () => new LinearRegression() });
export const storeCheckCount: number = storeChecks({ make: () => new FileModelStore("./models") }).length;
export function codeOf(err: unknown): FreshmlErrorCode | null {
  if (err instanceof FreshmlError) return err.code;
  return isFreshmlError(err) ? err.code : null;
}

// freshml/redis: typed without the Redis client installed (the source takes any sendCommand).
import { RedisStreamSource, addRows, type RedisCommandClient, type RedisSourceStatus } from "freshml/redis";
const redis: RedisCommandClient = { sendCommand: async () => null };
export const redisSource = new RedisStreamSource({ client: redis, stream: "rows", batchSize: 100 });
export const fromRedis: Promise<RunReport> = redisSource.run(pipeline);
export const added: Promise<string[]> = addRows(redis, "rows", [{ temp: 1, hour: 2, load: 3 }]);
export const backlog: Promise<RedisSourceStatus> = redisSource.status();
