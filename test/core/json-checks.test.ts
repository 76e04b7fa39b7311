import { describe, expect, it } from "vitest";
import {
  array,
  bool,
  count,
  finiteNumbers,
  literal,
  nullable,
  num,
  object,
  oneOf,
  optional,
  positiveInt,
  readChecked,
  record,
  tuple,
  union,
  type Check,
} from "../../src/core/json-checks.js";

function failure(check: Check<unknown>, value: unknown): { message: string; code: string; details: Record<string, unknown> } {
  try {
    readChecked(check, value, "invalid thing", "root");
  } catch (err) {
    return err as { message: string; code: string; details: Record<string, unknown> };
  }
  throw new Error("the check accepted the value");
}

describe("json-checks: plain typed checks of saved JSON", () => {
  const leaf = object({ obs: finiteNumbers, last: count });
  const tree = object({ d: positiveInt, nodes: array(object({ leaf: nullable(leaf) }), 1) });

  it("names the path of the offending value in details.field and the message (invalid_state)", () => {
    const e = failure(tree, { d: 2, nodes: [{ leaf: null }, { leaf: { obs: [1, "x"], last: 0 } }] });
    expect(e.code).toBe("invalid_state");
    expect(e.details).toEqual({ field: "nodes[1].leaf.obs[1]", expected: "a finite number", observed: '"x"' });
    expect(e.message).toBe('invalid thing: nodes[1].leaf.obs[1] must be a finite number, got "x"');
    expect(failure(tree, [1]).details.field).toBe("root");
    expect(failure(tree, { d: 2, nodes: [] }).details).toMatchObject({ field: "nodes", expected: "an array of at least 1 items" });
  });

  it("numbers are finite (NaN, ±Infinity and null never fit), integers are safe integers, bounds hold", () => {
    for (const bad of [NaN, Infinity, -Infinity, null, "1", undefined]) expect(() => num().read(bad)).toThrow();
    expect(() => count.read(2 ** 53)).toThrow();
    expect(() => count.read(-1)).toThrow();
    expect(() => count.read(1.5)).toThrow();
    expect(count.read(0)).toBe(0);
    expect(() => positiveInt.read(0)).toThrow();
    const unit = num({ gt: 0, max: 1 });
    expect(unit.expected).toBe("a finite number > 0 and ≤ 1");
    expect(() => unit.read(0)).toThrow();
    expect(unit.read(1)).toBe(1);
  });

  it("returns a copy holding only the named fields; an absent optional field stays absent", () => {
    const check = object({ a: finiteNumbers, b: optional(bool) });
    const input = { a: [1, 2], extra: 3 };
    const out = check.read(input);
    expect(out).toEqual({ a: [1, 2] });
    expect("b" in out).toBe(false);
    expect(out.a).not.toBe(input.a);
    expect(check.read({ a: [], b: true })).toEqual({ a: [], b: true });
  });

  it("unions, literals, enums, tuples and records", () => {
    const weight = union(literal("balanced"), record(num({ gt: 0 })), literal(null));
    expect(weight.read("balanced")).toBe("balanced");
    expect(weight.read(null)).toBeNull();
    expect(weight.read({ "1": 2 })).toEqual({ "1": 2 });
    expect(failure(weight, { "1": -2 }).details).toEqual({
      field: "root",
      expected: '"balanced", an object whose every value is a finite number > 0 or null',
      observed: "object",
    });
    // A "__proto__" key stays an own key of the copy, so later checks see it.
    expect(Object.keys(record(num()).read(JSON.parse('{"__proto__": 1}')))).toEqual(["__proto__"]);
    expect(() => oneOf(["mc", "nb"]).read("oracle")).toThrow();
    expect(oneOf(["mc", "nb"]).expected).toBe('"mc" or "nb"');
    const moments = tuple([count, num(), num({ min: 0 })]);
    expect(moments.read([1, -2, 3])).toEqual([1, -2, 3]);
    expect(failure(moments, [1, -2, -3]).details.field).toBe("[2]");
    expect(failure(moments, [1, 2]).details.field).toBe("root");
    expect(() => object({}).read([])).toThrow();
  });

  it("errors other than a mismatch pass through unchanged", () => {
    const boom: Check<never> = {
      expected: "anything",
      read() {
        throw new RangeError("boom");
      },
    };
    expect(() => readChecked(array(boom), [1], "x", "root")).toThrow(RangeError);
  });
});
