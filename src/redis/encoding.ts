import { FreshmlError, checkParam, describeValue } from "../core/errors.js";

/**
 * How a row sits in a stream entry.
 * - `"json"` (default): one field (`row`, or the `field` option) holding the
 *   row as JSON. Numbers, booleans, nulls and nesting survive as they were.
 * - `"fields"`: one entry field per row field, every value a string (as
 *   Redis keeps them): read them with `z.coerce.number()` in the schema.
 *
 * @example
 * ```ts
 * import type { RowEncoding } from "freshml/redis";
 * const encoding: RowEncoding = "json"; // XADD rows * row '{"temp":21.5,"load":3.2}'
 * ```
 */
export type RowEncoding = "json" | "fields";

/** The entry field that holds a row's JSON by default. */
export const DEFAULT_ROW_FIELD = "row";

/** Checks the encoding options shared by the source and {@link addRows}. */
export function checkEncoding(encoding: unknown, field: unknown): void {
  checkParam(encoding === "json" || encoding === "fields", "encoding", '"json" or "fields"', encoding);
  checkParam(typeof field === "string" && field.length > 0, "field", "a non-empty string", field);
}

/** A row as the words after `XADD stream id`. */
export function encodeRow(row: unknown, encoding: RowEncoding, field: string, index: number): string[] {
  if (encoding === "json") {
    const text = JSON.stringify(row);
    if (text === undefined) throw new FreshmlError("invalid_row", `row ${index} cannot be written as JSON: ${describeValue(row)}`, { row: index });
    return [field, text];
  }
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    throw new FreshmlError("invalid_row", `row ${index} is not an object: ${describeValue(row)}`, { row: index });
  }
  const words: string[] = [];
  for (const [k, v] of Object.entries(row)) {
    if (v === null || v === undefined) continue; // a missing field, as the schema sees it
    if (typeof v === "object") throw new FreshmlError("invalid_row", `row ${index} field ${k} is nested; with encoding "fields" every value must be a string, number or boolean`, { row: index, field: k });
    words.push(k, String(v));
  }
  if (words.length === 0) throw new FreshmlError("invalid_row", `row ${index} has no fields (an entry needs one)`, { row: index });
  return words;
}

/**
 * A row from an entry's fields. An entry that does not hold a readable row
 * (no such field, malformed JSON) comes out as its raw text, so the
 * pipeline's schema rejects that row (quarantine, or a dropped row, per its
 * row policy) and the dead-letter sink sees what was sent.
 */
export function decodeRow(fields: readonly string[], encoding: RowEncoding, field: string): unknown {
  if (encoding === "fields") {
    const row: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) row[fields[i]!] = fields[i + 1]!;
    return row;
  }
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== field) continue;
    const text = fields[i + 1]!;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return fields.join(" ");
}
