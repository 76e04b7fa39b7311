import { createHash } from "node:crypto";
import { FreshmlError } from "../core/errors.js";

/** SHA-256 of a string (UTF-8) or bytes, as lowercase hex: the checksum every PostgreSQL table here keeps beside its bodies. */
export const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** A `bytea` column as a Buffer, whatever the client returned: pg gives a Buffer, PGlite a Uint8Array, a text-mode driver `\x…` hex. */
export function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string" && value.startsWith("\\x")) return Buffer.from(value.slice(2), "hex");
  return Buffer.from(String(value), "utf8");
}

/** The `checksum_mismatch` error for a row whose stored bytes do not match their checksum. */
export function mismatch(where: string, what: string): FreshmlError {
  return new FreshmlError("checksum_mismatch", `${where} ${what}`, { where });
}
