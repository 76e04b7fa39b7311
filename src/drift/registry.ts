import { FreshmlError } from "../core/errors.js";
import { ADWIN } from "./adwin.js";
import { DDM } from "./ddm.js";
import type { DriftDetector } from "./detector.js";
import { PageHinkley } from "./page-hinkley.js";

/** Restores any built-in drift detector from its `toJSON()`. */
export function restoreDetector(json: unknown): DriftDetector {
  const kind = (json as { kind?: unknown } | null)?.kind;
  if (kind === "ADWIN") return ADWIN.fromJSON(json);
  if (kind === "PageHinkley") return PageHinkley.fromJSON(json);
  if (kind === "DDM") return DDM.fromJSON(json);
  throw new FreshmlError("invalid_state", `unknown drift detector kind ${JSON.stringify(kind)}`);
}
