import { checkParam } from "../core/errors.js";
import { send, type RedisCommandClient } from "./client.js";
import { DEFAULT_ROW_FIELD, checkEncoding, encodeRow, type RowEncoding } from "./encoding.js";

/**
 * Options of {@link addRows}.
 *
 * @example
 * ```ts
 * import type { AddRowsOptions } from "freshml/redis";
 * const options: AddRowsOptions = { encoding: "json", inFlight: 256 };
 * ```
 */
export interface AddRowsOptions {
  /** How each row sits in its entry (the source must read it the same way). Default `"json"`. */
  encoding?: RowEncoding;
  /** With `"json"`: the field holding the row. Default `"row"`. */
  field?: string;
  /** XADDs sent at once (a client pipelines them on one connection). Default 500. */
  inFlight?: number;
}

/**
 * Appends rows to a stream, one entry per row (`XADD stream * row <json>`),
 * in order: what a producer on any host runs. The retraining leader reads
 * them with a {@link RedisStreamSource}. Returns the entries' ids.
 *
 * A row that cannot be encoded is an `invalid_row` error before anything
 * is sent; a lost connection is `store_unavailable` (retriable: the rows
 * whose ids did not come back may or may not have been added).
 *
 * @example
 * ```ts
 * import { createClient } from "@redis/client";
 * import { addRows } from "freshml/redis";
 * if (process.env.REDIS_URL) {
 *   const client = await createClient({ url: process.env.REDIS_URL }).connect();
 *   const ids = await addRows(client, "doc:addRows", [{ temp: 21.5, hour: 8, load: 3.2 }, { temp: 19, hour: 9, load: 2.9 }]);
 *   console.log(ids); // ["1732871234567-0", "1732871234567-1"]
 *   await client.sendCommand(["DEL", "doc:addRows"]);
 *   client.destroy();
 * }
 * ```
 */
export async function addRows(client: RedisCommandClient, stream: string, rows: readonly unknown[], options: AddRowsOptions = {}): Promise<string[]> {
  const { encoding = "json", field = DEFAULT_ROW_FIELD, inFlight = 500 } = options;
  checkParam(typeof stream === "string" && stream.length > 0, "stream", "a non-empty string", stream);
  checkParam(Array.isArray(rows), "rows", "an array", rows);
  checkEncoding(encoding, field);
  checkParam(Number.isInteger(inFlight) && inFlight >= 1, "inFlight", "an integer ≥ 1", inFlight);
  // Encode everything first: a bad row sends nothing.
  const commands = rows.map((row, i) => ["XADD", stream, "*", ...encodeRow(row, encoding, field, i)]);
  const ids: string[] = [];
  for (let start = 0; start < commands.length; start += inFlight) {
    const chunk = commands.slice(start, start + inFlight);
    const replies = await Promise.all(chunk.map((c) => send(client, c, `XADD to ${stream}`)));
    for (const r of replies) ids.push(String(r));
  }
  return ids;
}
