// A CommonJS module under node16/nodenext: its imports resolve through "require".
import { LinearRegression, isFreshmlError } from "freshml";
import { FileModelStore } from "freshml/node";
import { storeChecks } from "freshml/testing";

export const model = new LinearRegression();
export const ok: boolean = isFreshmlError(new Error("x"));
export const n: number = storeChecks({ make: () => new FileModelStore("./m") }).length;
import { RedisStreamSource } from "freshml/redis";
export const redisSource = new RedisStreamSource({ client: { sendCommand: async () => null }, stream: "rows" });
