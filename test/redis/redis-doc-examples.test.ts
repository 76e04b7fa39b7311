import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisSuitesEnabled, startRedisServer, type RedisServer } from "./redis-server.js";

/**
 * The TSDoc examples of freshml/redis talk to a server only when REDIS_URL is
 * set (test/doc-examples.test.ts runs them without one). Here they run
 * against a throwaway server, so what they show is what happens.
 */
const outDir = join("test", ".doc-examples-redis");
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const examples: Array<[string, string, string]> = [];
for (const file of readdirSync(join("src", "redis"))) {
  const text = readFileSync(join("src", "redis", file), "utf8");
  let n = 0;
  for (const m of text.matchAll(/^\s*\* ```ts\n([\s\S]*?)^\s*\* ```/gm)) {
    const code = m[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n");
    const name = `${file.replace(/\./g, "_")}_${n++}.ts`;
    writeFileSync(join(outDir, name), `${code}\nexport {};\n`);
    examples.push([`${file} #${n}`, name, code]);
  }
}

describe.runIf(redisSuitesEnabled("freshml/redis TSDoc examples on a real Redis server"))("freshml/redis TSDoc examples on a real Redis server", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
    process.env.REDIS_URL = server.url;
  });
  afterAll(async () => {
    delete process.env.REDIS_URL;
    await server?.stop();
  });
  it("found the examples", () => expect(examples.length).toBeGreaterThan(8));
  it.each(examples)("%s", async (_label, name, code) => {
    const logged: unknown[][] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void logged.push(args);
    try {
      await import(/* @vite-ignore */ `../.doc-examples-redis/${name}`);
    } finally {
      console.log = log;
    }
    // The source's main example logs what its comment says.
    if (code.includes("console.log(report.rows.learned, await source.status())")) expect(logged).toEqual([[50, { pendingEntries: 0, pendingBatches: 0, lag: 0 }]]);
    if (code.includes("const ids = await addRows(")) expect((logged[0]![0] as string[]).length).toBe(2);
  });
});
