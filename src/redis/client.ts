import { FreshmlError } from "../core/errors.js";

/**
 * The one method of a Redis client the source and {@link addRows} use: send
 * a command as its words, get the raw reply. A connected `@redis/client` (or
 * `redis`) client has it as is, speaking RESP3 (its default) or RESP2.
 *
 * Blocking reads (`XREADGROUP … BLOCK`) hold the connection they run on,
 * so give the source a client of its own (`client.duplicate()`).
 *
 * @example
 * ```ts
 * import { createClient } from "@redis/client";
 * import type { RedisCommandClient } from "freshml/redis";
 * const client = createClient({ url: process.env.REDIS_URL });
 * const forTheSource: RedisCommandClient = client;
 * if (process.env.REDIS_URL) {
 *   await client.connect();
 *   await forTheSource.sendCommand(["PING"]); // "PONG"
 *   client.destroy();
 * }
 * ```
 */
export interface RedisCommandClient {
  /** Sends one command (`["XADD", "rows", "*", "row", "{…}"]`) and resolves to its reply. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** Server replies that mean "not now" (loading, failing over, busy) rather than "never". */
const RETRIABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|NOTREADY)\b/;
/** A server error reply starts with an upper-case code word (`ERR`, `WRONGTYPE`, `NOGROUP`, …). */
const SERVER_REPLY = /^[A-Z][A-Z_-]+ /;

/**
 * Turns whatever the client threw into a {@link FreshmlError}: a refused,
 * dropped or closed connection (or a server that is loading or failing over)
 * is `store_unavailable` with `details.retriable: true`; an error reply of
 * the server is `store_error` (`details.reply` names it).
 */
export function redisError(err: unknown, what: string): FreshmlError {
  if (err instanceof FreshmlError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const errno = (err as { code?: unknown } | null)?.code;
  // node-redis: ErrorReply and its kinds; ioredis: ReplyError. A minified build may rename them: the reply's shape says it too.
  const isReply = /^(ErrorReply|SimpleError|BlobError|MultiErrorReply|ReplyError)$/.test((err as { constructor?: { name?: string } } | null)?.constructor?.name ?? "");
  if (RETRIABLE_REPLY.test(message)) {
    return new FreshmlError("store_unavailable", `Redis unavailable during ${what}: ${message}`, { retriable: true, reply: message.split(" ")[0] });
  }
  if (isReply || (SERVER_REPLY.test(message) && typeof errno !== "string")) {
    return new FreshmlError("store_error", `Redis refused ${what}: ${message}`, { retriable: false, reply: message.split(" ")[0] });
  }
  return new FreshmlError("store_unavailable", `Redis unavailable during ${what}: ${message}`, { retriable: true, ...(typeof errno === "string" ? { errno } : {}) });
}

/** Runs one command, typing its failure. */
export async function send(client: RedisCommandClient, args: string[], what: string): Promise<unknown> {
  try {
    return await client.sendCommand(args);
  } catch (err) {
    throw redisError(err, what);
  }
}

/** One stream entry as the server sent it: its id and its fields (null: deleted since it was delivered). */
export interface RawEntry {
  id: string;
  fields: string[] | null;
}

/** Reads `[[id, [f, v, …]], …]` (deleted entries come as `[id, null]`). */
export function entriesOf(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  const out: RawEntry[] = [];
  for (const e of reply) {
    if (!Array.isArray(e) || e.length < 2) continue;
    const [id, fields] = e as [unknown, unknown];
    out.push({ id: String(id), fields: Array.isArray(fields) ? fields.map(String) : fieldsOfMap(fields) });
  }
  return out;
}

/** RESP3 clients may hand fields over as a map. */
function fieldsOfMap(fields: unknown): string[] | null {
  if (fields === null || fields === undefined || typeof fields !== "object") return null;
  const pairs = fields instanceof Map ? [...fields.entries()] : Object.entries(fields);
  return pairs.flatMap(([k, v]) => [String(k), String(v)]);
}

/** XREADGROUP's reply for one stream: `[[stream, entries]]`, a RESP3 map, or null when nothing came. */
export function readReply(reply: unknown): RawEntry[] {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) {
    const first = reply[0] as unknown;
    return Array.isArray(first) ? entriesOf(first[1]) : [];
  }
  if (reply instanceof Map) return entriesOf([...reply.values()][0]);
  if (typeof reply === "object") return entriesOf(Object.values(reply)[0]);
  return [];
}

/** A stream id `ms-seq` as two numbers, for ordering. */
export function compareIds(a: string, b: string): number {
  const [am, as] = splitId(a);
  const [bm, bs] = splitId(b);
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}

function splitId(id: string): [bigint, bigint] {
  const dash = id.indexOf("-");
  return dash < 0 ? [BigInt(id), 0n] : [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))];
}
