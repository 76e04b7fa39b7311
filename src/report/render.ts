import { checkParam } from "../core/errors.js";
import { downsampleIndices, summarizeRun, type DecisionPoint, type MemorySeries, type QuarantineEvent, type RunSummary } from "../history/run-history.js";
import type { RunReport, StageTimes } from "../pipeline/report.js";
import type { ModelVersionSummary } from "../store/model-store.js";

/**
 * Options of {@link renderReport}.
 *
 * @example
 * ```ts
 * import { renderReport, summarizeRun } from "freshml";
 * import { sampleReport } from "freshml/testing";
 * const html = renderReport(summarizeRun(sampleReport("load", 500)), {
 *   title: "Nightly load model",
 *   metric: "rmse",
 *   maxPoints: 400,
 *   reference: { label: "frozen first model", batch: [0, 250, 499], values: [1.1, 1.6, 2.3] },
 * });
 * ```
 */
export interface ReportOptions {
  /** The page title. Default "freshml report — <name>". */
  title?: string;
  /** The metric of the main chart. Default the gate metric of the newest run. */
  metric?: string;
  /** Stored versions (any order), for the timeline and lineage table. */
  versions?: readonly ModelVersionSummary[];
  /** Aliases to show beside versions, e.g. `{ champion: 3 }`. */
  aliases?: Readonly<Record<string, number>>;
  /** Points per line and cells per heatmap row drawn. Default 800. */
  maxPoints?: number;
  /**
   * Another model's values of the main chart's metric, drawn beside champion
   * and challenger: e.g. the frozen first model ("how stale would we be").
   */
  reference?: ReferenceSeries;
  /** Rows of the decision and run tables (quarantine examples: at most 20). Default 50. */
  maxRows?: number;
}

/**
 * A line the caller computed, drawn on the main chart (see {@link ReportOptions.reference}).
 *
 * @example
 * ```ts
 * import type { ReferenceSeries } from "freshml";
 * const frozen: ReferenceSeries = { label: "frozen first model", batch: [1, 2, 3], values: [0.8, 1.4, null] };
 * ```
 */
export interface ReferenceSeries {
  /** Its name in the legend, e.g. "frozen first model". */
  label: string;
  /** Stream positions (batches), ascending. */
  batch: readonly number[];
  /** Its metric value on each (null: none). */
  values: ReadonlyArray<number | null>;
}

const W = 960;
const H = 260;
const M = { l: 56, r: 16, t: 16, b: 30 };
const COLORS = { champion: "#1f5fbf", challenger: "#d9730d", baseline: "#6b6b6b", promotion: "#1a7f37", alarm: "#c62828", rollback: "#7b1fa2" };
const REASON_COLORS = ["#c62828", "#6a3d9a", "#ff7f00", "#1f78b4", "#33a02c", "#b15928", "#e31a1c", "#a6cee3"];
const STAGES: Array<keyof StageTimes> = ["validate", "featurize", "test", "gate", "learn", "save"];
const STAGE_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948"];
// Candidate memories, shortest window first; "everything" is always the dark grey.
const MEMORY_COLORS = ["#d62728", "#ff7f0e", "#bcbd22", "#2ca02c", "#17becf", "#1f77b4", "#9467bd", "#8c564b", "#e377c2"];
const EVERYTHING_COLOR = "#333";

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const fmt = (v: number | null | undefined): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
};
const r1 = (v: number): string => String(Math.round(v * 10) / 10);

interface Merged {
  name: string;
  runs: RunSummary[];
  metric: string;
  series: Record<string, { batch: number[]; champion: Array<number | null>; challenger: Array<number | null>; points: number }>;
  promotions: Array<{ batch: number; version: number | null; score: number | null }>;
  alarms: number[];
  rollbacks: Array<{ batch: number; version: number | null }>;
  decisions: DecisionPoint[];
  drift: { columns: string[]; cells: Map<string, Array<{ batch: number; score: number | null; drifted: boolean }>> };
  quarantines: QuarantineEvent[];
  byReason: Record<string, number>;
  stageMs: StageTimes;
  batches: { total: number; accepted: number; quarantined: number; skipped: number };
  rows: number;
  /** Policy "auto" over the runs that had it (null: none did). */
  memory: MemorySeries | null;
}

/** Appends a run's memory series to the merged one: candidates missing on either side get nulls; a change of the served candidate between runs is a switch too. */
function mergeMemory(into: MemorySeries | null, next: MemorySeries): MemorySeries {
  const t = into ?? { batch: [], served: [], scores: {}, points: 0, switches: 0, servedBatches: {} };
  const before = t.batch.length;
  const prev = t.served[before - 1];
  if (prev !== undefined && next.served[0] !== undefined && next.served[0] !== prev) t.switches++;
  t.batch.push(...next.batch);
  t.served.push(...next.served);
  for (const [label, values] of Object.entries(next.scores)) (t.scores[label] ??= new Array<number | null>(before).fill(null)).push(...values);
  for (const values of Object.values(t.scores)) while (values.length < t.batch.length) values.push(null);
  t.points += next.points;
  t.switches += next.switches;
  for (const [label, n] of Object.entries(next.servedBatches)) t.servedBatches[label] = (t.servedBatches[label] ?? 0) + n;
  return t;
}

function merge(runs: RunSummary[], metricOpt: string | undefined): Merged {
  const sorted = [...runs].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  const last = sorted[sorted.length - 1]!;
  const m: Merged = {
    name: last.name,
    runs: sorted,
    metric: metricOpt ?? last.prequential.metric,
    series: {},
    promotions: [],
    alarms: [],
    rollbacks: [],
    decisions: [],
    drift: { columns: [], cells: new Map() },
    quarantines: [],
    byReason: {},
    stageMs: { validate: 0, featurize: 0, test: 0, gate: 0, learn: 0, save: 0 },
    batches: { total: 0, accepted: 0, quarantined: 0, skipped: 0 },
    rows: 0,
    memory: null,
  };
  for (const s of sorted) {
    for (const [k, v] of Object.entries(s.series)) {
      const t = (m.series[k] ??= { batch: [], champion: [], challenger: [], points: 0 });
      t.points += v.points;
      t.batch.push(...v.batch);
      t.champion.push(...v.champion);
      t.challenger.push(...v.challenger);
    }
    m.promotions.push(...s.promotions);
    m.alarms.push(...s.driftAlarms);
    if (s.restoredFrom?.from === "champion") m.rollbacks.push({ batch: s.restoredFrom.position, version: s.restoredFrom.version });
    m.decisions.push(...s.decisions);
    s.drift.columns.forEach((c, ci) => {
      let cells = m.drift.cells.get(c);
      if (!cells) {
        m.drift.columns.push(c);
        m.drift.cells.set(c, (cells = []));
      }
      s.drift.batch.forEach((b, bi) => cells!.push({ batch: b, score: s.drift.scores[ci]![bi] ?? null, drifted: s.drift.drifted[ci]![bi] ?? false }));
    });
    m.quarantines.push(...s.quarantines.events);
    for (const [k, v] of Object.entries(s.quarantines.byReason)) m.byReason[k] = (m.byReason[k] ?? 0) + v;
    for (const st of STAGES) m.stageMs[st] += s.stageMs[st];
    m.batches.total += s.batches.total;
    m.batches.accepted += s.batches.accepted;
    m.batches.quarantined += s.batches.quarantined;
    m.batches.skipped += s.batches.skipped;
    m.rows += s.rows.seen + s.rows.quarantined;
    if (s.memory) m.memory = mergeMemory(m.memory, s.memory);
  }
  return m;
}

interface Scale {
  x: (b: number) => number;
  y: (v: number) => number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function scale(x0: number, x1: number, values: number[], h = H): Scale {
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const v of values) {
    if (v < y0) y0 = v;
    if (v > y1) y1 = v;
  }
  if (!Number.isFinite(y0)) [y0, y1] = [0, 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  y0 = y0 >= 0 && y0 - pad < 0 ? 0 : y0 - pad;
  y1 += pad;
  if (x0 === x1) x1 = x0 + 1;
  return {
    x: (b) => M.l + ((b - x0) / (x1 - x0)) * (W - M.l - M.r),
    y: (v) => h - M.b - ((v - y0) / (y1 - y0)) * (h - M.t - M.b),
    x0,
    x1,
    y0,
    y1,
  };
}

const ticks = (a: number, b: number, n: number): number[] => Array.from({ length: n + 1 }, (_, i) => a + ((b - a) * i) / n);

/** Ticks of a log10 axis over [lo, hi] (in log10 units): 1, 2 and 5 times powers of ten, or the powers alone when those are too many. */
function logTicks(lo: number, hi: number): number[] {
  const all: number[] = [];
  for (let k = Math.floor(lo); k <= Math.ceil(hi); k++) for (const f of [1, 2, 5]) all.push(k + Math.log10(f));
  const inside = all.filter((t) => t >= lo && t <= hi);
  return inside.length > 8 ? inside.filter((t) => Number.isInteger(t)) : inside;
}

function axes(s: Scale, xLabel: string, yLabel: string, h = H, yTicks: number[] = ticks(s.y0, s.y1, 4), yTick: (v: number) => string = fmt): string {
  const xs = ticks(s.x0, s.x1, 6)
    .map((b) => `<g><line x1="${r1(s.x(b))}" x2="${r1(s.x(b))}" y1="${h - M.b}" y2="${h - M.b + 4}" stroke="#888"/><text x="${r1(s.x(b))}" y="${h - M.b + 16}" text-anchor="middle">${esc(Math.round(b))}</text></g>`)
    .join("");
  const ys = yTicks
    .map((v) => `<g><line x1="${M.l}" x2="${W - M.r}" y1="${r1(s.y(v))}" y2="${r1(s.y(v))}" stroke="#eee"/><text x="${M.l - 6}" y="${r1(s.y(v) + 4)}" text-anchor="end">${esc(yTick(v))}</text></g>`)
    .join("");
  return `<g class="axes" aria-hidden="true">${ys}<line x1="${M.l}" x2="${W - M.r}" y1="${h - M.b}" y2="${h - M.b}" stroke="#888"/>${xs}<text x="${W - M.r}" y="${h - 2}" text-anchor="end">${esc(xLabel)}</text><text x="4" y="${M.t - 4}">${esc(yLabel)}</text></g>`;
}

function path(s: Scale, batch: number[], values: Array<number | null>): string {
  let d = "";
  let pen = false;
  for (let i = 0; i < batch.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${r1(s.x(batch[i]!))} ${r1(s.y(v))}`;
    pen = true;
  }
  return d;
}

let figureId = 0;
function figure(kind: string, title: string, desc: string, svgBody: string, table: string, h = H, extra = ""): string {
  const id = `fig${++figureId}`;
  return `<figure class="chart" data-chart="${esc(kind)}"${extra}>
<svg viewBox="0 0 ${W} ${h}" role="img" aria-labelledby="${id}-t ${id}-d" xmlns="http://www.w3.org/2000/svg"><title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>${svgBody}</svg>
<figcaption>${esc(desc)}</figcaption>
<details><summary>Data table: ${esc(title)}</summary>${table}</details>
</figure>`;
}

function tableOf(head: string[], rows: Array<Array<string | number | null>>): string {
  return `<table><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${typeof c === "number" || c === null ? esc(fmt(c)) : esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

function legend(items: Array<[string, string, string?]>): string {
  return `<p class="legend">${items.map(([c, label, dash]) => `<span><svg width="22" height="10" aria-hidden="true"><line x1="0" x2="22" y1="5" y2="5" stroke="${c}" stroke-width="3"${dash ? ` stroke-dasharray="${dash}"` : ""}/></svg>${esc(label)}</span>`).join("")}</p>`;
}

function metricChart(m: Merged, metric: string, maxPoints: number, main: boolean, reference?: ReferenceSeries): string {
  const s = m.series[metric];
  if (!s || s.batch.length === 0) return `<p>No ${esc(metric)} values were recorded.</p>`;
  const events = new Set<number>();
  const eventBatches = new Set([...m.promotions.map((p) => p.batch), ...m.alarms]);
  s.batch.forEach((b, i) => eventBatches.has(b) && events.add(i));
  const idx = downsampleIndices(s.batch.length, [s.champion, s.challenger], maxPoints, events);
  const batch = idx.map((i) => s.batch[i]!);
  const champ = idx.map((i) => s.champion[i] ?? null);
  const chall = idx.map((i) => s.challenger[i] ?? null);
  const baseline = main ? m.decisions.filter((d) => d.baseline !== null && d.batch >= 0) : [];
  const baseIdx = downsampleIndices(baseline.length, [baseline.map((d) => d.baseline)], maxPoints);
  const base = baseIdx.map((i) => baseline[i]!);
  const ref = main && reference ? reference : undefined;
  const refIdx = ref ? downsampleIndices(ref.batch.length, [ref.values.map((v) => (v !== null && Number.isFinite(v) ? v : null))], maxPoints) : [];
  const refB = refIdx.map((i) => ref!.batch[i]!);
  const refV = refIdx.map((i) => { const v = ref!.values[i]; return v !== null && v !== undefined && Number.isFinite(v) ? v : null; });
  const vals = [...champ, ...chall, ...base.map((d) => d.baseline), ...refV].filter((v): v is number => v !== null);
  const x0 = Math.min(batch[0]!, ...(main ? [...m.promotions.map((p) => p.batch), ...m.alarms].slice(0, 1) : []));
  const allX = main ? [...batch, ...m.promotions.map((p) => p.batch), ...m.alarms, ...m.rollbacks.map((r) => r.batch)] : batch;
  let lo = x0;
  let hi = -Infinity;
  for (const b of allX) {
    if (b < lo) lo = b;
    if (b > hi) hi = b;
  }
  const sc = scale(lo, hi, vals);
  let body = axes(sc, "batch", metric);
  if (main) {
    body += `<g class="alarms">${m.alarms.map((b) => `<line data-mark="alarm" data-batch="${b}" x1="${r1(sc.x(b))}" x2="${r1(sc.x(b))}" y1="${M.t}" y2="${H - M.b}" stroke="${COLORS.alarm}" stroke-opacity="0.45" stroke-dasharray="2 3"/>`).join("")}</g>`;
    body += `<g class="rollbacks">${m.rollbacks
      .map((r) => `<g data-mark="rollback" data-batch="${r.batch}"><line x1="${r1(sc.x(r.batch))}" x2="${r1(sc.x(r.batch))}" y1="${M.t}" y2="${H - M.b}" stroke="${COLORS.rollback}" stroke-width="2"/><title>before batch ${r.batch} the champion alias had moved (a rollback)${r.version === null ? "" : ` to v${r.version}`}</title></g>`)
      .join("")}</g>`;
    body += `<g class="promotions">${m.promotions
      .map((p) => `<path data-mark="promotion" data-batch="${p.batch}" d="M${r1(sc.x(p.batch))} ${M.t + 8}l-4 -7h8z" fill="${COLORS.promotion}"><title>promoted at batch ${p.batch}${p.version === null ? "" : ` → v${p.version}`}</title></path>`)
      .join("")}</g>`;
  }
  body += `<path data-mark="line" data-series="champion" d="${path(sc, batch, champ)}" fill="none" stroke="${COLORS.champion}" stroke-width="1.6"/>`;
  body += `<path data-mark="line" data-series="challenger" d="${path(sc, batch, chall)}" fill="none" stroke="${COLORS.challenger}" stroke-width="1.2" stroke-dasharray="5 3"/>`;
  if (refB.length > 0) body += `<path data-mark="line" data-series="reference" d="${path(sc, refB, refV)}" fill="none" stroke="#888" stroke-width="1.4"/>`;
  if (base.length > 0) body += `<path data-mark="line" data-series="baseline" d="${path(sc, base.map((d) => d.batch), base.map((d) => d.baseline))}" fill="none" stroke="${COLORS.baseline}" stroke-width="1" stroke-dasharray="1 3"/>`;
  const finite = (a: Array<number | null>): number[] => a.filter((v): v is number => v !== null);
  const c = finite(champ);
  const desc =
    `${metric} per batch over batches ${lo}–${hi} (${s.points} batches scored, ${batch.length} points drawn; extremes and events kept). ` +
    (c.length > 0 ? `${championTrend(c)} (min ${fmt(Math.min(...c))}, max ${fmt(Math.max(...c))}). ` : "No champion values. ") +
    (refB.length ? `${ref!.label} from ${fmt(refV.find((v) => v !== null))} to ${fmt([...refV].reverse().find((v) => v !== null))} (grey line). ` : "") +
    (main ? `${m.promotions.length} promotions (green triangles), ${m.alarms.length} drift alarms (red dashed lines) and ${m.rollbacks.length} rollbacks (purple lines) marked.${base.length ? " The baseline's gate metric is dotted." : ""}` : "");
  const refAt = new Map(refB.map((b, i) => [b, refV[i]!]));
  const table = tableOf(
    ["batch", "champion", "challenger", ...(refB.length ? [ref!.label] : [])],
    batch.map((b, i) => [String(b), champ[i]!, chall[i]!, ...(refB.length ? [refAt.get(b) ?? null] : [])]),
  );
  const leg = legend([
    [COLORS.champion, "champion (served)"],
    [COLORS.challenger, "challenger (learning state)", "5 3"],
    ...(base.length ? ([[COLORS.baseline, "baseline", "1 3"]] as Array<[string, string, string]>) : []),
    ...(refB.length ? ([["#888", ref!.label]] as Array<[string, string]>) : []),
    ...(main ? ([[COLORS.promotion, "promotion"], [COLORS.alarm, "drift alarm", "2 3"], ...(m.rollbacks.length ? [[COLORS.rollback, "rollback"]] : [])] as Array<[string, string, string?]>) : []),
  ]);
  const extra = main ? ` data-promotions="${m.promotions.length}" data-alarms="${m.alarms.length}" data-rollbacks="${m.rollbacks.length}"` : "";
  return leg + figure(main ? "metric" : `metric-${metric}`, `${metric} over time${main ? ": champion, challenger, promotions and drift alarms" : ""}`, desc, body, table, H, extra);
}

/**
 * Policy "auto": each candidate memory's score over batches (log scale when
 * the scores span two orders of magnitude or more), a strip under the axis
 * coloured by the candidate that served, and dashed lines where it switched.
 */
function memoryChart(mem: MemorySeries, maxPoints: number): string {
  const labels = Object.keys(mem.scores);
  const colorOf = new Map(labels.filter((l) => l !== "everything").map((l, i) => [l, MEMORY_COLORS[i % MEMORY_COLORS.length]!]));
  colorOf.set("everything", EVERYTHING_COLOR);
  const switchAt = new Set<number>();
  for (let i = 1; i < mem.batch.length; i++) if (mem.served[i] !== mem.served[i - 1]) switchAt.add(i);
  // Every switch is kept, so between two drawn points the first one's candidate served.
  const idx = downsampleIndices(mem.batch.length, labels.map((l) => mem.scores[l]!), maxPoints, switchAt);
  const batch = idx.map((i) => mem.batch[i]!);
  const served = idx.map((i) => mem.served[i]!);
  const scores = labels.map((l) => idx.map((i) => mem.scores[l]![i] ?? null));
  const vals = scores.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  let lo = Infinity;
  let hi = -Infinity;
  let min = Infinity;
  let max = -Infinity;
  for (const b of batch) [lo, hi] = [Math.min(lo, b), Math.max(hi, b)];
  for (const v of vals) [min, max] = [Math.min(min, v), Math.max(max, v)];
  const log = vals.length > 0 && min > 0 && max / min >= 100;
  const y = (v: number | null): number | null => (v === null ? null : log ? Math.log10(v) : v);
  // Each point stands for the batches up to the next one: the last covers one batch.
  const sc = scale(lo, hi + 1, vals.map((v) => y(v)!));
  const stripY = H + 4;
  const h = H + 24;
  let body = axes(sc, "batch", log ? "loss per row (log scale)" : "loss per row", H, log ? logTicks(sc.y0, sc.y1) : undefined, log ? (v) => fmt(Number((10 ** v).toPrecision(6))) : fmt);
  // Where the served candidate changes, among the drawn points: each starts a band of the strip and is marked.
  const changes = served.flatMap((v, i) => (i > 0 && v !== served[i - 1] ? [i] : []));
  const switches = changes.map((i) => ({ batch: batch[i]!, from: served[i - 1]!, to: served[i]! }));
  body += `<g class="memory-switches">${switches
    .map((w) => `<g data-mark="memory-switch" data-batch="${w.batch}"><line x1="${r1(sc.x(w.batch))}" x2="${r1(sc.x(w.batch))}" y1="${M.t}" y2="${stripY + 14}" stroke="#555" stroke-dasharray="3 3"/><title>after batch ${w.batch}: ${esc(w.from)} → ${esc(w.to)}</title></g>`)
    .join("")}</g>`;
  labels.forEach((l, c) => {
    body += `<path data-mark="memory-line" data-candidate="${esc(l)}" d="${path(sc, batch, scores[c]!.map(y))}" fill="none" stroke="${colorOf.get(l)}" stroke-width="1.4"/>`;
  });
  // One band per stretch served by the same candidate: switches start the next one.
  const starts = [0, ...changes];
  body += `<text x="${M.l - 6}" y="${stripY + 11}" text-anchor="end">served</text><g class="memory-served">${starts
    .map((i, k) => {
      const from = batch[i]!;
      const to = k + 1 < starts.length ? batch[starts[k + 1]!]! : hi + 1;
      const x0 = sc.x(from);
      return `<rect data-mark="memory-served" data-served="${esc(served[i])}" x="${r1(x0)}" y="${stripY}" width="${r1(Math.max(sc.x(to) - x0, 0.6))}" height="14" fill="${colorOf.get(served[i]!) ?? "#999"}"><title>${esc(served[i])} served after batches ${from}–${to - 1}</title></rect>`;
    })
    .join("")}</g>`;
  const desc =
    `Discounted mean out-of-time loss per row of ${labels.length} candidate memories over batches ${lo}–${hi} ` +
    `(${mem.points} batches with a choice, ${batch.length} points drawn; extremes and every switch kept${log ? "; log scale" : ""}). ` +
    `The strip under the axis shows which memory served after each batch; ${switches.length} switches of it are marked (dashed lines).`;
  const table = tableOf(["batch", "served", ...labels], batch.map((b, i) => [String(b), served[i]!, ...scores.map((v) => v[i]!)]));
  const leg = legend([...labels.map((l): [string, string] => [colorOf.get(l)!, l]), ["#555", "switch of the served memory", "3 3"]]);
  const ranked = Object.entries(mem.servedBatches).sort((a, b) => b[1] - a[1] || labels.indexOf(a[0]) - labels.indexOf(b[0]));
  const total = ranked.reduce((n, [, k]) => n + k, 0);
  const [most, mostBatches] = ranked[0] ?? ["none", 0];
  const note = `<p class="memory-note">${esc(most)} served most (after ${mostBatches} of ${total} batches); the served memory switched ${mem.switches} time${mem.switches === 1 ? "" : "s"}.</p>`;
  const extra = ` data-candidates="${labels.length}" data-switches="${switches.length}"`;
  return leg + figure("memory", "How much past was trusted: candidate memories' scores and the one that served", desc, body, table, h, extra) + note;
}

function heatmap(m: Merged, maxPoints: number): string {
  const cols = m.drift.columns;
  if (cols.length === 0) return "<p>No drift validator ran (add <code>driftCheck</code> to the pipeline's validators to see scores per column).</p>";
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of cols) for (const cell of m.drift.cells.get(c)!) {
    if (cell.batch < lo) lo = cell.batch;
    if (cell.batch > hi) hi = cell.batch;
  }
  const nb = Math.max(1, Math.min(maxPoints, hi - lo + 1, 400));
  const span = (hi - lo + 1) / nb;
  const rowH = Math.max(10, Math.min(24, Math.floor(400 / cols.length)));
  const h = M.t + rowH * cols.length + M.b;
  const cw = (W - M.l - M.r - 60) / nb;
  let body = "";
  const rows: Array<Array<string | number | null>> = [];
  let driftedCells = 0;
  cols.forEach((c, ci) => {
    const cells = m.drift.cells.get(c)!;
    const score = new Array<number | null>(nb).fill(null);
    const drifted = new Array<boolean>(nb).fill(false);
    let max = 0;
    for (const cell of cells) {
      const b = Math.min(nb - 1, Math.floor((cell.batch - lo) / span));
      if (cell.score !== null && (score[b] === null || cell.score > score[b]!)) score[b] = cell.score;
      if (cell.drifted) drifted[b] = true;
      if (cell.score !== null && cell.score > max) max = cell.score;
    }
    const y = M.t + ci * rowH;
    body += `<text x="${M.l + 54}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(c.length > 12 ? `${c.slice(0, 11)}…` : c)}</text>`;
    for (let b = 0; b < nb; b++) {
      if (score[b] === null) continue;
      const t = max > 0 ? score[b]! / max : 0;
      const fill = drifted[b] ? `rgb(${Math.round(200 + 55 * t)},${Math.round(60 - 40 * t)},${Math.round(40 - 20 * t)})` : `rgb(${Math.round(235 - 120 * t)},${Math.round(240 - 90 * t)},${Math.round(250 - 30 * t)})`;
      if (drifted[b]) driftedCells++;
      body += `<rect data-mark="drift-cell"${drifted[b] ? ' data-drifted="1"' : ""} x="${r1(M.l + 60 + b * cw)}" y="${y}" width="${r1(Math.max(cw, 0.6))}" height="${rowH - 1}" fill="${fill}"/>`;
    }
    rows.push([c, String(cells.length), Math.max(...cells.map((x) => x.score ?? -Infinity)), String(cells.filter((x) => x.drifted).length)]);
  });
  body += `<text x="${M.l + 60}" y="${h - 10}">batch ${lo}</text><text x="${W - M.r}" y="${h - 10}" text-anchor="end">batch ${hi}</text>`;
  const desc = `Drift score of ${cols.length} columns over batches ${lo}–${hi} in ${nb} buckets (each the largest score in its bucket). Red cells drifted: ${driftedCells} column-buckets.`;
  return figure("drift", "Drift scores, column × batch", desc, body, tableOf(["column", "batches checked", "largest score", "batches drifted"], rows), h);
}

function quarantineChart(m: Merged, maxPoints: number, maxRows: number): string {
  const reasons = Object.keys(m.byReason).sort((a, b) => m.byReason[b]! - m.byReason[a]!);
  if (m.quarantines.length === 0) return "<p>No batch was quarantined.</p>";
  const lo = m.quarantines[0]!.batch;
  const hiQ = m.quarantines[m.quarantines.length - 1]!.batch;
  const hi = Math.max(hiQ, ...m.runs.map((r) => r.span?.last ?? hiQ));
  const first = Math.min(lo, ...m.runs.map((r) => r.span?.first ?? lo));
  const nb = Math.max(1, Math.min(100, maxPoints, hi - first + 1));
  const span = (hi - first + 1) / nb;
  const counts = reasons.map(() => new Array<number>(nb).fill(0));
  for (const q of m.quarantines) {
    const b = Math.min(nb - 1, Math.floor((q.batch - first) / span));
    for (const r of q.reasons) counts[reasons.indexOf(r)]![b]!++;
  }
  let top = 1;
  for (let b = 0; b < nb; b++) top = Math.max(top, counts.reduce((n, c) => n + c[b]!, 0));
  const h = 200;
  const sc = scale(first, hi + 1, [0, top], h);
  let body = axes({ ...sc, y0: 0 }, "batch", "quarantined", h);
  const bw = (W - M.l - M.r) / nb;
  for (let b = 0; b < nb; b++) {
    let acc = 0;
    reasons.forEach((r, ri) => {
      const n = counts[ri]![b]!;
      if (n === 0) return;
      const y1 = sc.y(acc);
      const y2 = sc.y(acc + n);
      acc += n;
      body += `<rect data-mark="quarantine" data-reason="${esc(r)}" data-count="${n}" x="${r1(M.l + b * bw + 0.5)}" y="${r1(y2)}" width="${r1(Math.max(bw - 1, 0.5))}" height="${r1(y1 - y2)}" fill="${REASON_COLORS[ri % REASON_COLORS.length]}"/>`;
    });
  }
  const leg = `<p class="legend">${reasons.map((r, ri) => `<span><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${REASON_COLORS[ri % REASON_COLORS.length]}"/></svg>${esc(r)} (${m.byReason[r]})</span>`).join("")}</p>`;
  const desc = `Quarantined batches by reason over batches ${first}–${hi} in ${nb} buckets: ${reasons.map((r) => `${r} ${m.byReason[r]}`).join(", ")}.`;
  const examples = tableOf(
    ["batch", "rows", "reasons", "example"],
    m.quarantines.slice(-Math.min(20, maxRows)).reverse().map((q) => [String(q.batch), String(q.rows), q.reasons.join(", "), q.example]),
  );
  return leg + figure("quarantines", "Quarantines by reason over time", desc, body, tableOf(["reason", "batches"], reasons.map((r) => [r, String(m.byReason[r])])), h) + `<h3>Examples (newest first)</h3>${examples}`;
}

function stageChart(m: Merged): string {
  const total = STAGES.reduce((n, s) => n + m.stageMs[s], 0);
  const h = 70;
  let x = M.l;
  let body = "";
  STAGES.forEach((s, i) => {
    const w = total > 0 ? (m.stageMs[s] / total) * (W - M.l - M.r) : 0;
    body += `<rect data-mark="stage" data-stage="${s}" x="${r1(x)}" y="10" width="${r1(w)}" height="30" fill="${STAGE_COLORS[i]}"><title>${s}: ${fmt(m.stageMs[s])} ms</title></rect>`;
    if (w > 50) body += `<text x="${r1(x + w / 2)}" y="30" text-anchor="middle" fill="#fff">${s}</text>`;
    x += w;
  });
  const desc = `Time per stage over ${m.runs.length} run(s), ${fmt(total)} ms in all: ${STAGES.map((s) => `${s} ${fmt(m.stageMs[s])} ms (${total > 0 ? ((100 * m.stageMs[s]) / total).toFixed(1) : "0"} %)`).join(", ")}.`;
  return figure("stages", "Stage-time breakdown", desc, body, tableOf(["stage", "ms", "share"], STAGES.map((s) => [s, m.stageMs[s], total > 0 ? `${((100 * m.stageMs[s]) / total).toFixed(1)} %` : "—"])), h);
}

function versionsSection(versions: readonly ModelVersionSummary[], aliases: Readonly<Record<string, number>>): string {
  if (versions.length === 0) return "<p>No versions were given (pass <code>versions</code>, or use <code>renderStoreReport</code>).</p>";
  const vs = [...versions].sort((a, b) => a.version - b.version);
  const h = 90;
  const x = (i: number): number => M.l + (vs.length === 1 ? 0.5 : i / (vs.length - 1)) * (W - M.l - M.r);
  const pos = new Map(vs.map((v, i) => [v.version, i]));
  const aliasOf = (v: number): string[] => Object.entries(aliases).filter(([, n]) => n === v).map(([a]) => a);
  let body = `<line x1="${M.l}" x2="${W - M.r}" y1="50" y2="50" stroke="#ccc"/>`;
  for (const v of vs) {
    const p = v.parent === null ? undefined : pos.get(v.parent);
    if (p !== undefined) body += `<path data-mark="lineage" d="M${r1(x(p))} 50Q${r1((x(p) + x(pos.get(v.version)!)) / 2)} 15 ${r1(x(pos.get(v.version)!))} 50" fill="none" stroke="#999"/>`;
  }
  vs.forEach((v, i) => {
    const al = aliasOf(v.version);
    body += `<circle data-mark="version" data-version="${v.version}" cx="${r1(x(i))}" cy="50" r="${al.length ? 7 : 5}" fill="${al.length ? COLORS.promotion : COLORS.champion}"><title>v${v.version} ${esc(v.createdAt)}${al.length ? ` (${esc(al.join(", "))})` : ""}</title></circle>`;
    if (vs.length <= 40 || i % Math.ceil(vs.length / 40) === 0) body += `<text x="${r1(x(i))}" y="75" text-anchor="middle">v${v.version}</text>`;
  });
  const desc = `${vs.length} versions, v${vs[0]!.version} (${vs[0]!.createdAt}) to v${vs[vs.length - 1]!.version} (${vs[vs.length - 1]!.createdAt}); arcs join a version to its parent.${Object.keys(aliases).length ? ` Aliases: ${Object.entries(aliases).map(([a, n]) => `${a} → v${n}`).join(", ")}.` : ""}`;
  const table = tableOf(
    ["version", "created", "parent", "aliases", "trainer", "batches", "rows", "data fingerprint", "metrics"],
    [...vs].reverse().map((v) => [
      `v${v.version}`,
      v.createdAt,
      v.parent === null ? "—" : `v${v.parent}`,
      aliasOf(v.version).join(", "),
      v.trainerKind,
      String(v.data.batches),
      String(v.data.rows),
      v.data.fingerprint ? v.data.fingerprint.slice(0, 16) : "—",
      Object.entries(v.metrics).map(([k, n]) => `${k} ${fmt(n)}`).join(", "),
    ]),
  );
  return figure("versions", "Version timeline and lineage", desc, body, table, h) + `<h3>Versions (newest first)</h3>${table}`;
}

function decisionsTable(m: Merged, maxRows: number): string {
  if (m.decisions.length === 0) return "<p>The gate made no decision (no fitted challenger apart from the champion).</p>";
  const promoted = m.decisions.filter((d) => d.promoted).length;
  const shown = m.decisions.slice(-maxRows).reverse();
  return `<p>${m.decisions.length} decisions kept (${promoted} promotions); the newest ${shown.length} below.</p>${tableOf(
    ["batch", "mode", "promoted", "challenger", "champion", "baseline", "statistic", "rows", "reason"],
    shown.map((d) => [String(d.batch), d.mode, d.promoted ? "yes" : "no", d.challenger, d.champion, d.baseline, d.statistic, String(d.rows), d.reason]),
  )}`;
}

function isReport(x: unknown): x is RunReport {
  return typeof x === "object" && x !== null && Array.isArray((x as RunReport).records) && (x as { format?: unknown }).format === undefined;
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1000px;padding:16px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ddd;padding-bottom:3px}h3{font-size:14px}
figure{margin:0}svg{width:100%;height:auto;font-size:11px}svg text{fill:#444}figcaption{color:#555;font-size:12px;margin:2px 0 4px}
table{border-collapse:collapse;font-size:12px;width:100%;margin:4px 0}th,td{border-bottom:1px solid #eee;padding:2px 6px;text-align:left;vertical-align:top}th{background:#f6f6f6}
details{margin:2px 0 8px}summary{cursor:pointer;color:#1f5fbf;font-size:12px}.legend span{margin-right:14px;white-space:nowrap}.legend svg{width:auto;vertical-align:middle;margin-right:4px}
.cards{display:flex;flex-wrap:wrap;gap:8px}.card{border:1px solid #ddd;border-radius:6px;padding:6px 10px;min-width:110px}.card b{display:block;font-size:18px}`;

/**
 * Renders run summaries (or one run's report) as one self-contained HTML
 * page: no scripts, no network, opens from disk. It shows the metric over
 * time for champion, challenger and baseline with promotions, drift alarms and rollbacks
 * marked; with policy "auto", how much past was trusted (each candidate
 * memory's score over batches, the one that served and its switches); a drift heatmap (column × batch), quarantines by reason over time
 * with examples, the version timeline and lineage (when `versions` are given),
 * the gate decisions with their numbers, and the stage-time breakdown. Every
 * chart is an SVG with a `<title>`, a `<desc>` and a data-table fallback;
 * marks carry `data-mark` attributes. Long runs are downsampled (extremes and
 * events kept), so 10,000 batches stay a few hundred kB.
 *
 * @example
 * ```ts
 * import { LinearRegression, Pipeline, renderReport } from "freshml";
 * const report = await new Pipeline({ trainer: new LinearRegression() }).runBatches(
 *   Array.from({ length: 20 }, (_, k) => ({ X: [[k], [k + 1], [k + 2]], y: [k, k + 1, k + 2] })),
 * );
 * const html = renderReport(report); // write it to report.html
 * console.log(html.startsWith("<!doctype html>")); // true
 * ```
 */
export function renderReport(input: RunReport | RunSummary | readonly RunSummary[], options: ReportOptions = {}): string {
  const { maxPoints = 800, maxRows = 50, versions = [], aliases = {} } = options;
  checkParam(Number.isInteger(maxPoints) && maxPoints >= 10, "maxPoints", "an integer ≥ 10", maxPoints);
  checkParam(Number.isInteger(maxRows) && maxRows >= 0, "maxRows", "an integer ≥ 0", maxRows);
  const runs: RunSummary[] = isReport(input) ? [summarizeRun(input, { maxPoints })] : Array.isArray(input) ? [...(input as RunSummary[])] : [input as RunSummary];
  figureId = 0;
  if (runs.length === 0) {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(options.title ?? "freshml report")}</title><style>${CSS}</style></head><body><h1>${esc(options.title ?? "freshml report")}</h1><p>No runs recorded yet.</p>${versionsSection(versions, aliases)}</body></html>`;
  }
  const m = merge(runs, options.metric);
  const title = options.title ?? `freshml report — ${m.name}`;
  const last = m.runs[m.runs.length - 1]!;
  const card = (label: string, value: string): string => `<div class="card"><span>${esc(label)}</span><b>${esc(value)}</b></div>`;
  const others = Object.keys(m.series).filter((k) => k !== m.metric);
  const runsTable = tableOf(
    ["run", "started", "status", "batches", "quarantined", `${last.prequential.metric} (champion)`, "promotions", "alarms", "champion"],
    [...m.runs].reverse().slice(0, maxRows).map((r) => [r.id || "—", r.startedAt, r.status, String(r.batches.total), String(r.batches.quarantined), r.prequential.value, String(r.promotionsTotal), String(r.driftAlarmsTotal), r.championVersion === null ? "—" : `v${r.championVersion}`]),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head>
<body data-promotions="${m.promotions.length}" data-alarms="${m.alarms.length}">
<header><h1>${esc(title)}</h1><p>${m.runs.length} run(s) from ${esc(m.runs[0]!.startedAt)} to ${esc(last.startedAt)}. Made by freshml; static HTML, no scripts.</p>
<div class="cards">${card("batches", String(m.batches.total))}${card("quarantined", String(m.batches.quarantined))}${card("rows", String(m.rows))}${card("promotions", String(m.promotions.length))}${card("drift alarms", String(m.alarms.length))}${card(`${last.prequential.metric} (last run)`, fmt(last.prequential.value))}${card("champion", last.championVersion === null ? "—" : `v${last.championVersion}`)}</div></header>
<main>
<section id="metric"><h2>${esc(m.metric)} over time</h2>${metricChart(m, m.metric, maxPoints, true, options.reference)}${others.map((k) => `<h3>${esc(k)}</h3>${metricChart(m, k, maxPoints, false)}`).join("")}</section>
${m.memory ? `<section id="memory"><h2>How much past was trusted</h2>${memoryChart(m.memory, maxPoints)}</section>\n` : ""}<section id="drift"><h2>Drift by column</h2>${heatmap(m, maxPoints)}</section>
<section id="quarantines"><h2>Quarantines</h2>${quarantineChart(m, maxPoints, maxRows)}</section>
<section id="versions"><h2>Versions and lineage</h2>${versionsSection(versions, aliases)}</section>
<section id="decisions"><h2>Gate decisions</h2>${decisionsTable(m, maxRows)}</section>
<section id="stages"><h2>Where the time went</h2>${stageChart(m)}</section>
<section id="runs"><h2>Runs</h2>${runsTable}</section>
</main></body></html>
`;
}

/**
 * The champion's trend in words: the medians of the first and last tenth of its
 * points (at least one each), not the first and last single batches, which may be
 * a short, noisy batch and would read as the model getting worse or better.
 */
function championTrend(values: readonly number[]): string {
  const k = Math.max(1, Math.floor(values.length / 10));
  const median = (a: readonly number[]): number => {
    const t = [...a].sort((x, y) => x - y);
    const h = t.length >> 1;
    return t.length % 2 ? t[h]! : (t[h - 1]! + t[h]!) / 2;
  };
  if (values.length < 2) return `Champion at ${fmt(values[0])}`;
  return `Champion from ${fmt(median(values.slice(0, k)))} to ${fmt(median(values.slice(-k)))} (medians of the first and last ${k} point${k === 1 ? "" : "s"})`;
}
