import { FreshmlError } from "../core/errors.js";
import type { AliasEvent } from "./model-store.js";

/**
 * How many events each alias keeps in {@link ModelStore.aliasHistory} by
 * default (and how many earlier versions `rollback` can walk back through).
 */
export const DEFAULT_ALIAS_HISTORY_LIMIT = 1000;

/** One alias's state: where it points, how many times it moved, its rollback stack and its recent history. */
export interface AliasTrack {
  /** The version the alias points to. */
  version: number;
  /** How many events the alias has had, ever (the `seq` of its newest event). */
  seq: number;
  /** Versions a rollback walks back through; the top (last) is `version`. At most the history limit long. */
  stack: number[];
  /** The newest events, oldest first; at most the history limit long. */
  history: AliasEvent[];
}

/** {@link AliasTrack} of one alias, with its name, as stored. */
export interface NamedAliasTrack extends AliasTrack {
  /** The alias. */
  alias: string;
}

/** Checks a history limit (an integer ≥ 1). */
export function checkHistoryLimit(limit: unknown, what = "aliasHistoryLimit"): number {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
    throw new FreshmlError("invalid_params", `${what} must be an integer ≥ 1, got ${String(limit)}`, { param: what, observed: String(limit) });
  }
  return limit;
}

/**
 * Every alias of one model, with bounded history: each alias keeps its last
 * `limit` events and a rollback stack of at most `limit` versions, and counts
 * all its events in `seq`. Keyed by a `Map`, so any alias name — `constructor`,
 * `__proto__` — is just a name. Both built-in stores keep their aliases here;
 * the file store replays its log into it.
 */
export class AliasBook {
  /** Aliases by name. */
  readonly tracks = new Map<string, AliasTrack>();

  /** @param limit — events kept per alias (and the rollback stack's length). */
  constructor(public limit: number = DEFAULT_ALIAS_HISTORY_LIMIT) {
    checkHistoryLimit(limit);
  }

  /** Where `alias` points, or null. */
  target(alias: string): number | null {
    return this.tracks.get(alias)?.version ?? null;
  }

  /** The alias's retained events, oldest first (copies). */
  history(alias: string): AliasEvent[] {
    return (this.tracks.get(alias)?.history ?? []).map((e) => ({ ...e }));
  }

  /** Every version an alias points to now. */
  pinned(): Set<number> {
    return new Set([...this.tracks.values()].map((t) => t.version));
  }

  /** The largest version number anything here names (0 when none). */
  highestNamed(): number {
    let max = 0;
    for (const t of this.tracks.values()) {
      max = Math.max(max, t.version, ...t.stack);
      for (const e of t.history) max = Math.max(max, e.version, e.previous ?? 0);
    }
    return max;
  }

  /** The event that points `alias` at `version` (not applied yet). */
  setEvent(alias: string, version: number, at: string): AliasEvent {
    const t = this.tracks.get(alias);
    return { alias, version, previous: t?.version ?? null, action: "set", at, seq: (t?.seq ?? 0) + 1 };
  }

  /**
   * Where a rollback of `alias` lands: the newest earlier entry of its stack
   * that still exists, or null.
   */
  rollbackTarget(alias: string, exists: (v: number) => boolean): number | null {
    const stack = this.tracks.get(alias)?.stack ?? [];
    for (let i = stack.length - 2; i >= 0; i--) if (exists(stack[i]!)) return stack[i]!;
    return null;
  }

  /** The event that rolls `alias` back to `target` (not applied yet). */
  rollbackEvent(alias: string, target: number, at: string): AliasEvent {
    const t = this.tracks.get(alias);
    return { alias, version: target, previous: t?.version ?? null, action: "rollback", at, seq: (t?.seq ?? 0) + 1 };
  }

  /**
   * Applies one event: `set` pushes its version on the alias's stack,
   * `rollback` pops the undone top and then down to its version. History and
   * stack keep their newest `limit` entries.
   */
  apply(e: AliasEvent): void {
    let t = this.tracks.get(e.alias);
    if (!t) {
      t = { version: e.version, seq: 0, stack: [], history: [] };
      this.tracks.set(e.alias, t);
    }
    if (e.action === "set") t.stack.push(e.version);
    else {
      t.stack.pop();
      while (t.stack.length > 0 && t.stack[t.stack.length - 1] !== e.version) t.stack.pop();
      if (t.stack.length === 0) t.stack.push(e.version);
    }
    t.version = e.version;
    t.seq = e.seq;
    t.history.push({ ...e });
    while (t.history.length > this.limit) t.history.shift();
    while (t.stack.length > this.limit) t.stack.shift();
  }

  /**
   * Keeps each alias's newest `keep` events (and stack entries), and drops
   * stack entries for versions that no longer exist. `seq` is untouched.
   */
  trim(keep: number, exists: (v: number) => boolean = () => true): void {
    for (const t of this.tracks.values()) {
      if (t.history.length > keep) t.history.splice(0, t.history.length - keep);
      const top = t.stack.pop();
      t.stack = t.stack.filter(exists);
      if (top !== undefined) t.stack.push(top);
      if (t.stack.length > keep) t.stack.splice(0, t.stack.length - keep);
    }
  }

  /** The aliases as a list (the file store's snapshot). */
  toJSON(): NamedAliasTrack[] {
    return [...this.tracks].map(([alias, t]) => ({ alias, version: t.version, seq: t.seq, stack: [...t.stack], history: t.history.map((e) => ({ ...e })) }));
  }

  /** A book from {@link AliasBook.toJSON}'s list; history and stack are cut to `limit`. */
  static fromJSON(tracks: readonly NamedAliasTrack[], limit: number): AliasBook {
    const book = new AliasBook(limit);
    for (const { alias, version, seq, stack, history } of tracks) {
      book.tracks.set(alias, { version, seq, stack: stack.slice(-limit), history: history.slice(-limit).map((e) => ({ ...e })) });
    }
    return book;
  }
}
