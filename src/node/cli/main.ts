import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { FreshmlError, isFreshmlError } from "../../core/errors.js";
import { summarizeRun, type RunHistory } from "../../history/run-history.js";
import { FileModelStore } from "../file-model-store.js";
import { toStoreError, type PgPoolLike, type SqlRow } from "../../postgres/sql-client.js";
import { writeFileAtomic } from "../fs-atomic.js";
import { Pipeline, type PipelineOptions } from "../../pipeline/pipeline.js";
import type { RunReport } from "../../pipeline/report.js";
import { renderStoreReport } from "../../report/store-report.js";
import type { ModelRecord, ModelStore, ModelVersionSummary } from "../../store/model-store.js";
import { parseCsv, parseNdjson } from "./data.js";

/** Where the CLI writes: injectable for tests. */
export interface CliIO {
  /** Standard output. */
  out: (text: string) => void;
  /** Standard error. */
  err: (text: string) => void;
  /** Whether stderr is a terminal (the progress line redraws in place). */
  tty: boolean;
}

const USAGE = `Usage: freshml <command> [options]

Commands:
  versions                     list the versions of a model
  show <version|alias>         one version: metrics, parameters, data
  diff <a> <b>                 two versions: metrics, parameters, data, weight changes
  rollback                     move the champion alias one step back
  prune --keep N               delete all but the newest N versions (never an aliased one)
  report -o report.html        write the HTML report (run history and versions)
  run --config <file> --data <rows.ndjson|rows.csv>
                               run a pipeline over a file, in batches

Options:
  --store file:./models        the model store: a folder ("file:" is optional), or
  --store postgres://user@host/db?schema=freshml
                               a PostgreSQL store (needs the "pg" package; schema
                               default "freshml"; the password may come from PGPASSWORD)
  --name <model>               the model name (default "model")
  --json                       machine-readable output on stdout
  --batch-size N               rows per batch for run (default 100)
  -h, --help                   this help

Exit codes: 0 ok, 1 failure, 2 usage error.`;

const usage = (msg: string): FreshmlError => new FreshmlError("invalid_usage", `${msg}\n\n${USAGE}`);

/** A store the CLI opened, with its run history; `close` ends its connections. */
interface OpenedStore {
  store: ModelStore;
  history: RunHistory;
  /** How to name it in messages (no password). */
  label: string;
  close(): Promise<void>;
}

function fileRoot(spec: string): string {
  let path = spec;
  if (spec.startsWith("file://")) path = new URL(spec).pathname;
  else if (spec.startsWith("file:")) path = spec.slice(5);
  return resolve(path);
}

const isPostgresUrl = (spec: string): boolean => /^postgres(ql)?:\/\//i.test(spec);

/** The connection string without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@?]*):[^@/?]*@/i, "$1:***@");
}

/** Splits `?schema=` off a postgres:// URL (pg would not know it): the connection string and the schema (default "freshml"). */
export function postgresTarget(spec: string): { connectionString: string; schema: string } {
  const q = spec.indexOf("?");
  if (q < 0) return { connectionString: spec, schema: "freshml" };
  const params = new URLSearchParams(spec.slice(q + 1));
  const schema = params.get("schema") ?? "freshml";
  params.delete("schema");
  const rest = params.toString();
  return { connectionString: spec.slice(0, q) + (rest ? `?${rest}` : ""), schema };
}

type PgModule = { default?: { Pool: new (config: Record<string, unknown>) => PgPoolLike & { end(): Promise<void> } }; Pool?: new (config: Record<string, unknown>) => PgPoolLike & { end(): Promise<void> } };

/**
 * Opens a postgres:// store. `pg` is an optional peer dependency, loaded
 * only here: without it, an `unsupported` error that says what to install.
 */
export async function openPostgres(spec: string, mustExist: boolean, importPg: () => Promise<unknown> = () => import("pg")): Promise<OpenedStore> {
  let mod: PgModule;
  try {
    mod = (await importPg()) as PgModule;
  } catch (err) {
    throw new FreshmlError("unsupported", `--store ${redactUrl(spec)} needs the "pg" package (an optional peer dependency of freshml): npm install pg (${(err as Error).message.split("\n")[0]})`, { observed: "pg" });
  }
  const Pool = mod.default?.Pool ?? mod.Pool;
  if (typeof Pool !== "function") throw new FreshmlError("unsupported", `the installed "pg" package has no Pool: install pg 8 or later`, { observed: "pg" });
  const { connectionString, schema } = postgresTarget(spec);
  const label = `${redactUrl(connectionString)} (schema ${schema})`;
  const pool = new Pool({ connectionString, max: 4, connectionTimeoutMillis: 10_000 });
  const opened: OpenedStore = { store: null!, history: null!, label, close: () => pool.end() };
  try {
    const { PostgresModelStore } = await import("../../postgres/postgres-model-store.js");
    const store = new PostgresModelStore(pool, { schema });
    if (mustExist) {
      let rows: SqlRow[];
      try {
        rows = (await pool.query("SELECT to_regclass($1) IS NOT NULL AS present", [`${schema}.schema_version`])).rows;
      } catch (err) {
        throw toStoreError(err, `opening ${label}`);
      }
      if (rows[0]?.present !== true) throw new FreshmlError("not_found", `no store at ${label}: the schema has no freshml tables`, { observed: label });
    }
    opened.store = store;
    opened.history = store.runHistory();
    return opened;
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

/** A usage error for a store URL of a kind the CLI does not know. */
function checkStoreSpec(spec: string): void {
  if (!isPostgresUrl(spec) && /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) && !spec.startsWith("file://")) {
    throw new FreshmlError("invalid_usage", `store ${redactUrl(spec)}: use file:./models or postgres://…`, { observed: redactUrl(spec) });
  }
}

async function openStore(spec: string | undefined, mustExist: boolean): Promise<OpenedStore> {
  if (spec === undefined) throw usage("--store is required (e.g. --store file:./models or --store postgres://user@host/db)");
  checkStoreSpec(spec);
  if (isPostgresUrl(spec)) return openPostgres(spec, mustExist);
  const root = fileRoot(spec);
  if (mustExist && !(existsSync(root) && statSync(root).isDirectory())) {
    throw new FreshmlError("not_found", `no store at ${root} (the folder does not exist)`, { observed: root });
  }
  const store = new FileModelStore(root);
  return { store, history: store.runHistory(), label: root, close: async () => undefined };
}

function parseRef(s: string | undefined, what: string): number | string {
  if (s === undefined) throw usage(`${what} is required`);
  const v = s.replace(/^v(?=\d)/, "");
  return /^\d+$/.test(v) ? Number(v) : s;
}

async function allVersions(store: ModelStore, name: string): Promise<ModelVersionSummary[]> {
  const out: ModelVersionSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(name, { limit: 100, ...(cursor ? { cursor } : {}) });
    out.push(...page.versions);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(w[i]!)).join("  ").trimEnd();
  return [line(head), line(w.map((n) => "-".repeat(n))), ...rows.map(line)].join("\n");
}

const num = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? "—" : String(Number(v.toPrecision(5))));
const metricsText = (m: Record<string, number>): string => Object.entries(m).map(([k, v]) => `${k}=${num(v)}`).join(" ");

/** Numeric leaves and arrays of a trainer state, by path. */
function weights(state: unknown, path = "", out = new Map<string, number[]>()): Map<string, number[]> {
  if (typeof state === "number") out.set(path || "value", [state]);
  else if (Array.isArray(state) || ArrayBuffer.isView(state)) {
    const arr = Array.from(state as ArrayLike<unknown>);
    if (arr.every((x) => typeof x === "number")) out.set(path || "value", arr as number[]);
    else arr.forEach((x, i) => weights(x, `${path}[${i}]`, out));
  } else if (state !== null && typeof state === "object") for (const [k, v] of Object.entries(state)) weights(v, path ? `${path}.${k}` : k, out);
  return out;
}

/** Weight changes between two trainer states, per numeric field. */
interface WeightChange {
  field: string;
  size: number;
  l2: number | null;
  maxAbs: number | null;
  relative: number | null;
}

function weightChanges(a: ModelRecord, b: ModelRecord): WeightChange[] {
  const wa = weights(a.trainer.state);
  const wb = weights(b.trainer.state);
  const out: WeightChange[] = [];
  for (const field of new Set([...wa.keys(), ...wb.keys()])) {
    const x = wa.get(field);
    const y = wb.get(field);
    if (!x || !y || x.length !== y.length) {
      out.push({ field, size: y?.length ?? x?.length ?? 0, l2: null, maxAbs: null, relative: null });
      continue;
    }
    let d2 = 0;
    let n2 = 0;
    let max = 0;
    for (let i = 0; i < x.length; i++) {
      const d = y[i]! - x[i]!;
      d2 += d * d;
      n2 += x[i]! * x[i]!;
      max = Math.max(max, Math.abs(d));
    }
    const l2 = Math.sqrt(d2);
    if (l2 === 0) continue;
    out.push({ field, size: x.length, l2, maxAbs: max, relative: n2 > 0 ? l2 / Math.sqrt(n2) : null });
  }
  return out;
}

function changed(a: Record<string, unknown>, b: Record<string, unknown>): Array<{ key: string; a: unknown; b: unknown }> {
  const out: Array<{ key: string; a: unknown; b: unknown }> = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push({ key: k, a: a[k] ?? null, b: b[k] ?? null });
  return out;
}

async function loadConfig(path: string): Promise<{ options: PipelineOptions; batchSize?: number }> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new FreshmlError("not_found", `no config file ${abs}`, { observed: abs });
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (err) {
    const hint = extname(abs) === ".ts" && /Unknown file extension/.test((err as Error).message) ? " (a .ts config needs a TypeScript loader: run the CLI through tsx, or use .mjs)" : "";
    throw new FreshmlError("malformed_file", `${abs}: cannot load the config: ${(err as Error).message}${hint}`, { file: abs });
  }
  let cfg = mod.default;
  if (typeof cfg === "function") cfg = await (cfg as () => unknown)();
  if (cfg === null || typeof cfg !== "object" || !("trainer" in cfg)) {
    throw new FreshmlError("malformed_file", `${abs}: the default export must be pipeline options ({ trainer, schema, … }) or a function returning them`, { file: abs });
  }
  const { batchSize, ...options } = cfg as PipelineOptions & { batchSize?: number };
  return { options, ...(batchSize !== undefined ? { batchSize } : {}) };
}

const fmtMs = (ms: number): string => (ms < 1000 ? `${Math.round(ms)}ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`);

function runSummaryTable(r: RunReport): string {
  const rows: string[][] = [
    ["batches", `${r.batches.total} (${r.batches.accepted} accepted, ${r.batches.quarantined} quarantined, ${r.batches.skipped} skipped)`],
    ["rows", `${r.rows.seen + r.rows.quarantined} (${r.rows.learned} learned, ${r.rows.dropped} dropped, ${r.rows.quarantined} quarantined)`],
    [`${r.prequential.metric} (champion, prequential)`, num(r.prequential.value)],
    ...Object.entries(r.metrics).map(([k, m]) => [k, `champion ${num(m.champion)}, challenger ${num(m.challenger)}`]),
    ["promotions", String(r.promotionsTotal)],
    ["drift alarms", String(r.driftAlarmsTotal)],
    ["champion", r.championVersion === null ? "—" : `v${r.championVersion}`],
    ["time", `${fmtMs(r.durationMs)} (${Object.entries(r.stageMs).map(([k, v]) => `${k} ${fmtMs(v)}`).join(", ")})`],
  ];
  return table(["run", "result"], rows);
}

/**
 * Runs the `freshml` command line with `argv` (without `node` and the
 * script); returns the exit code: 0 ok, 1 failure, 2 usage error. Errors are
 * printed (as `{ "error": … }` on stdout with `--json`), never thrown.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let json = argv.includes("--json");
  let opened: OpenedStore | null = null;
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...argv],
        allowPositionals: true,
        strict: true,
        options: {
          store: { type: "string" },
          name: { type: "string", default: "model" },
          json: { type: "boolean", default: false },
          keep: { type: "string" },
          output: { type: "string", short: "o" },
          config: { type: "string" },
          data: { type: "string" },
          "batch-size": { type: "string" },
          help: { type: "boolean", short: "h", default: false },
        },
      });
    } catch (err) {
      throw usage((err as Error).message);
    }
    const { values: v, positionals } = parsed;
    json = v.json === true;
    const [command, ...args] = positionals;
    if (v.help || command === "help") {
      io.out(`${USAGE}\n`);
      return 0;
    }
    if (command === undefined) throw usage("a command is required");
    const name = v.name!;
    const print = (data: unknown, text: string): void => io.out(json ? `${JSON.stringify(data)}\n` : `${text}\n`);
    const expectArgs = (n: number): void => {
      if (args.length !== n) throw usage(`${command} takes ${n === 0 ? "no arguments" : `${n} argument(s)`}, got ${args.length}`);
    };

    switch (command) {
      case "versions": {
        expectArgs(0);
        const { store } = (opened = await openStore(v.store, true));
        const versions = await allVersions(store, name);
        const champion = await store.resolveAlias(name, "champion");
        print(
          { name, champion, versions },
          versions.length === 0
            ? `no versions of ${name} (check --name: without it the name is "model")`
            : table(
                ["version", "created", "parent", "trainer", "rows", "metrics"],
                versions.map((x) => [`v${x.version}${x.version === champion ? " *" : ""}`, x.createdAt, x.parent === null ? "—" : `v${x.parent}`, x.trainerKind, String(x.data.rows), metricsText(x.metrics)]),
              ) + "\n(* champion)",
        );
        return 0;
      }
      case "show": {
        expectArgs(1);
        const { store } = (opened = await openStore(v.store, true));
        const r = await store.get(name, parseRef(args[0], "a version"));
        const champion = await store.resolveAlias(name, "champion");
        const out = { name: r.name, version: r.version, champion: r.version === champion, createdAt: r.createdAt, parent: r.parent, trainer: { kind: r.trainer.kind, params: r.trainer.params }, metrics: r.metrics, data: r.data, tags: r.tags, libraryVersion: r.libraryVersion };
        print(
          out,
          table(
            ["field", "value"],
            [
              ["version", `v${r.version}${out.champion ? " (champion)" : ""}`],
              ["created", r.createdAt],
              ["parent", r.parent === null ? "—" : `v${r.parent}`],
              ["trainer", r.trainer.kind],
              ["params", JSON.stringify(r.trainer.params)],
              ["metrics", metricsText(r.metrics) || "—"],
              ["data", `${r.data.batches} batches, ${r.data.rows} rows, fingerprint ${r.data.fingerprint || "—"}`],
              ["tags", JSON.stringify(r.tags)],
              ["library", r.libraryVersion],
            ],
          ),
        );
        return 0;
      }
      case "diff": {
        expectArgs(2);
        const { store } = (opened = await openStore(v.store, true));
        const a = await store.get(name, parseRef(args[0], "version a"));
        const b = await store.get(name, parseRef(args[1], "version b"));
        const metrics = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].map((k) => ({ metric: k, a: a.metrics[k] ?? null, b: b.metrics[k] ?? null, delta: a.metrics[k] !== undefined && b.metrics[k] !== undefined ? b.metrics[k]! - a.metrics[k]! : null }));
        const params = changed(a.trainer.params, b.trainer.params);
        const w = a.trainer.kind === b.trainer.kind ? weightChanges(a, b) : [];
        const out = { name, a: a.version, b: b.version, trainer: { a: a.trainer.kind, b: b.trainer.kind }, metrics, params, data: { a: a.data, b: b.data }, weights: w };
        const text = [
          `v${a.version} → v${b.version} (${a.trainer.kind}${a.trainer.kind === b.trainer.kind ? "" : ` → ${b.trainer.kind}`})`,
          "",
          metrics.length ? table(["metric", `v${a.version}`, `v${b.version}`, "change"], metrics.map((m) => [m.metric, num(m.a), num(m.b), num(m.delta)])) : "no metrics",
          "",
          params.length ? table(["param", `v${a.version}`, `v${b.version}`], params.map((p) => [p.key, JSON.stringify(p.a), JSON.stringify(p.b)])) : "parameters: the same",
          "",
          table(["data", `v${a.version}`, `v${b.version}`], [
            ["batches", String(a.data.batches), String(b.data.batches)],
            ["rows", String(a.data.rows), String(b.data.rows)],
            ["fingerprint", a.data.fingerprint || "—", b.data.fingerprint || "—"],
          ]),
          "",
          a.trainer.kind !== b.trainer.kind ? "weights: different trainers, not compared" : w.length ? table(["weights", "size", "L2 change", "max |change|", "relative"], w.map((x) => [x.field, String(x.size), num(x.l2), num(x.maxAbs), num(x.relative)])) : "weights: the same",
        ].join("\n");
        print(out, text);
        return 0;
      }
      case "rollback": {
        expectArgs(0);
        const { store } = (opened = await openStore(v.store, true));
        const from = await store.resolveAlias(name, "champion");
        const to = await store.rollback(name, "champion");
        print({ name, from, to }, `champion of ${name}: v${from ?? "—"} → v${to}`);
        return 0;
      }
      case "prune": {
        expectArgs(0);
        const keep = Number(v.keep);
        if (v.keep === undefined || !Number.isInteger(keep) || keep < 1) throw usage(`prune needs --keep N, a positive integer${v.keep === undefined ? "" : ` (got ${v.keep})`}`);
        const { store } = (opened = await openStore(v.store, true));
        const deleted = await store.prune(name, { keep });
        print({ name, deleted }, deleted.length ? `deleted ${deleted.map((d) => `v${d}`).join(", ")}` : "nothing to delete");
        return 0;
      }
      case "report": {
        expectArgs(0);
        if (!v.output) throw usage("report needs -o <file.html>");
        const { store, history } = (opened = await openStore(v.store, true));
        const html = await renderStoreReport(store, history, name);
        const out = resolve(v.output);
        await writeFileAtomic(out, html);
        print({ name, output: out, bytes: Buffer.byteLength(html) }, `wrote ${out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} kB)`);
        return 0;
      }
      case "run": {
        expectArgs(0);
        if (!v.config || !v.data) throw usage("run needs --config <pipeline.config.mjs> and --data <rows.ndjson|rows.csv>");
        const dataPath = resolve(v.data);
        if (!existsSync(dataPath)) throw new FreshmlError("not_found", `no data file ${dataPath}`, { observed: dataPath });
        if (v.store !== undefined) checkStoreSpec(v.store);
        // Everything is read and checked before anything runs: bad input changes nothing.
        const text = await readFile(dataPath, "utf8");
        const ext = extname(dataPath).toLowerCase();
        const rows = ext === ".csv" ? parseCsv(text, v.data) : ext === ".ndjson" || ext === ".jsonl" ? parseNdjson(text, v.data) : (() => { throw usage(`--data must end in .ndjson, .jsonl or .csv, got ${v.data}`); })();
        const { options, batchSize: cfgBatch } = await loadConfig(v.config);
        const batchSize = v["batch-size"] !== undefined ? Number(v["batch-size"]) : (cfgBatch ?? 100);
        if (!Number.isInteger(batchSize) || batchSize < 1) throw usage(`--batch-size must be a positive integer, got ${v["batch-size"] ?? cfgBatch}`);
        // Opened once the input is known good; a postgres:// store is created if missing, like a folder.
        const store = v.store === undefined ? undefined : (opened = await openStore(v.store, false)).store;
        const pipeline = new Pipeline({ ...options, ...(store ? { store } : {}), ...(v.name !== "model" || !options.name ? { name } : {}) });
        // Ids from the file's content and the rows' place in it: running the same file again (a retry after a
        // crash, or by mistake) skips what was learned instead of learning it twice.
        const fileKey = `${basename(dataPath).slice(0, 200)}@${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
        const batches: Array<{ id: string; rows: Record<string, unknown>[] }> = [];
        for (let i = 0; i < rows.length; i += batchSize) {
          const part = rows.slice(i, i + batchSize);
          batches.push({ id: `${fileKey}:rows ${i + 1}-${i + part.length}`, rows: part });
        }
        let lastDraw = 0;
        const report = await pipeline.runBatches(batches, {
          onProgress: (p) => {
            const now = Date.now();
            if (json || (now - lastDraw < 100 && p.batches !== batches.length)) return;
            lastDraw = now;
            const line = `batch ${p.batches}/${batches.length}  ${p.rows} rows  ${Math.round(p.rowsPerSec)} rows/s  ETA ${p.etaMs === undefined ? "—" : fmtMs(p.etaMs)}`;
            io.err(io.tty ? `\r${line.padEnd(70)}` : `${line}\n`);
          },
        });
        if (!json && io.tty) io.err("\n");
        // The pipeline recorded the run into the store's history (report.historyId).
        const runId = store ? (report.historyId ?? null) : null;
        const s = summarizeRun(report);
        print(
          { runId, name: report.name, status: report.status, batches: report.batches, rows: report.rows, prequential: report.prequential, metrics: report.metrics, promotions: report.promotionsTotal, driftAlarms: report.driftAlarmsTotal, championVersion: report.championVersion, durationMs: report.durationMs, stageMs: report.stageMs, quarantines: s.quarantines.byReason },
          runSummaryTable(report) + (runId ? `\nrun recorded as ${runId}; see it with: freshml report -o report.html --store ${shellQuote(String(v.store))} --name ${shellQuote(report.name)}` : ""),
        );
        return report.status === "completed" ? 0 : 1;
      }
      default:
        throw usage(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    const code = isFreshmlError(err) ? err.code : "unexpected";
    const message = err instanceof Error ? err.message : String(err);
    if (json) io.out(`${JSON.stringify({ error: { code, message: message.split("\n\n")[0] } })}\n`);
    else io.err(`freshml: ${message}\n`);
    return code === "invalid_usage" ? 2 : 1;
  } finally {
    await (opened as OpenedStore | null)?.close().catch(() => undefined);
  }
}

/** A word as a POSIX shell would read it back: quoted when it holds anything but safe characters (a URL's `?`, `&`). */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
