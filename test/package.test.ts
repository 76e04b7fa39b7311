import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as freshml from "../src/index.js";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe("package shape", () => {
  it("keeps Node built-ins out of the core entry point (only src/node and src/postgres may use them)", () => {
    const offenders = files("src")
      .filter((f) => !f.startsWith(join("src", "node")) && !f.startsWith(join("src", "postgres"))) // Node-only entry points
      .filter((f) => /from\s+["'](node:|fs|path|crypto|os|child_process)["']|require\(/.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("exports every built-in learner and restores each by kind", () => {
    for (const kind of Object.keys(freshml.builtinTrainers)) expect(typeof (freshml as Record<string, unknown>)[kind]).toBe("function");
    expect(() => freshml.restoreTrainer({ format: "freshml.trainer", formatVersion: 1, kind: "Nope", params: {}, state: null })).toThrowError(
      expect.objectContaining({ code: "invalid_state" }),
    );
    expect(() => freshml.restoreTrainer({ format: "freshml.trainer", formatVersion: 2, kind: "LinearRegression", params: {}, state: null })).toThrowError(
      expect.objectContaining({ code: "invalid_state" }),
    );
  });

  it("a tampered state is invalid_state, not a crash later", () => {
    const m = new freshml.LinearRegression();
    m.update({ X: [[1], [2], [3]], y: [1, 2, 4] });
    const j = JSON.parse(JSON.stringify(m.toJSON()));
    j.state.sxx = [1, 2];
    expect(() => freshml.restoreTrainer(j)).toThrowError(expect.objectContaining({ code: "invalid_state" }));
    j.state.sxx = ["x"];
    expect(() => freshml.restoreTrainer(j)).toThrowError(expect.objectContaining({ code: "invalid_state" }));
  });
});
