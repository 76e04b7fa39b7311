import { FreshmlError } from "../../core/errors.js";

/** Parses NDJSON text: one JSON object per non-blank line; `malformed_file` names the first bad line (1-based). */
export function parseNdjson(text: string, file: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new FreshmlError("malformed_file", `${file}:${i + 1}: not valid JSON (${(err as Error).message})`, { file, line: i + 1 });
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      throw new FreshmlError("malformed_file", `${file}:${i + 1}: each line must be a JSON object (a row), got ${Array.isArray(v) ? "an array" : v === null ? "null" : typeof v}`, { file, line: i + 1 });
    }
    rows.push(v as Record<string, unknown>);
  }
  return rows;
}

function splitCsvLine(line: string, file: string, lineNo: number): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === "") quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (quoted) throw new FreshmlError("malformed_file", `${file}:${lineNo}: unterminated quoted field`, { file, line: lineNo });
  out.push(cur);
  return out;
}

/**
 * Parses CSV with a header line (RFC 4180 quoting, no line breaks inside
 * fields). Numeric-looking cells become numbers, empty cells null; a row
 * with another number of cells than the header is `malformed_file` naming its line.
 */
export function parseCsv(text: string, file: string): Record<string, unknown>[] {
  const lines = text.split(/\r?\n/);
  let h = 0;
  while (h < lines.length && lines[h]!.trim() === "") h++;
  if (h >= lines.length) throw new FreshmlError("malformed_file", `${file}: empty (a CSV needs a header line)`, { file, line: 1 });
  const header = splitCsvLine(lines[h]!, file, h + 1).map((s) => s.trim());
  const rows: Record<string, unknown>[] = [];
  for (let i = h + 1; i < lines.length; i++) {
    if (lines[i]!.trim() === "") continue;
    const cells = splitCsvLine(lines[i]!, file, i + 1);
    if (cells.length !== header.length) {
      throw new FreshmlError("malformed_file", `${file}:${i + 1}: ${cells.length} cells, but the header has ${header.length}`, { file, line: i + 1 });
    }
    const row: Record<string, unknown> = {};
    header.forEach((k, j) => {
      const c = cells[j]!.trim();
      const n = c === "" ? NaN : Number(c);
      row[k] = c === "" ? null : Number.isFinite(n) ? n : c;
    });
    rows.push(row);
  }
  return rows;
}
