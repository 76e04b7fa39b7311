import type { RunHistory, RunSummary } from "../history/run-history.js";
import type { ModelStore, ModelVersionSummary } from "../store/model-store.js";
import { renderReport, type ReportOptions } from "./render.js";

/** Options of {@link renderStoreReport}. */
export interface StoreReportOptions extends Omit<ReportOptions, "versions" | "aliases"> {
  /** The newest this many runs of the history are shown. Default 100. */
  runs?: number;
  /** The newest this many versions are shown. Default 500. */
  maxVersions?: number;
}

/**
 * {@link renderReport} for a model in a store: reads the newest runs of
 * `history`, every version (up to `maxVersions`) and the `champion` alias of
 * `store`, and renders them into one HTML page.
 *
 * @example
 * ```ts
 * import { LinearRegression, MemoryModelStore, Pipeline, renderStoreReport } from "freshml";
 * const store = new MemoryModelStore();
 * const pipeline = new Pipeline({ trainer: new LinearRegression(), store, name: "load" });
 * await pipeline.runBatches([{ X: [[0], [1], [2]], y: [0, 1, 2] }]); // recorded in store.runHistory()
 * const html = await renderStoreReport(store, store.runHistory(), "load");
 * ```
 */
export async function renderStoreReport(store: ModelStore, history: RunHistory, name: string, options: StoreReportOptions = {}): Promise<string> {
  const { runs = 100, maxVersions = 500, ...rest } = options;
  const heads = await history.list(name, { limit: runs });
  const summaries: RunSummary[] = [];
  for (const h of heads) summaries.push(await history.get(h.id));
  const versions: ModelVersionSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(name, { limit: Math.min(100, maxVersions - versions.length), ...(cursor ? { cursor } : {}) });
    versions.push(...page.versions);
    cursor = page.nextCursor;
  } while (cursor && versions.length < maxVersions);
  const champion = await store.resolveAlias(name, "champion");
  return renderReport(summaries, { ...rest, versions, aliases: champion === null ? {} : { champion } });
}
