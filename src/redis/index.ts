/**
 * freshml behind Redis Streams: producers on any host append rows to a
 * stream ({@link addRows}); the retraining leader learns them through a
 * consumer group ({@link RedisStreamSource}), acknowledging each batch only
 * once a saved checkpoint contains it. Takes any client with
 * `sendCommand(args)`, such as a connected `@redis/client` (an optional peer
 * dependency; the `redis` package brings it).
 *
 * @packageDocumentation
 */
export { RedisStreamSource, type PipelineRunner, type RedisSourceStatus, type RedisStreamSourceOptions } from "./stream-source.js";
export { addRows, type AddRowsOptions } from "./producer.js";
export type { RowEncoding } from "./encoding.js";
export type { RedisCommandClient } from "./client.js";
