/**
 * Throwaway PostgreSQL servers for tests: initdb into a temp dir, a unix
 * socket in that dir (no TCP), pg_ctl start/stop. Not a test itself.
 *
 * PostgreSQL refuses to run as root: as root, initdb/pg_ctl run as the
 * `postgres` user (runuser) and the temp dir is handed to it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { spawn, type ChildProcess } from "node:child_process";
import { bundledChild } from "../bundle-child.js";
import { afterAll, beforeAll } from "vitest";

export interface PgServer {
  /** Socket directory (the `host` for pg). */
  host: string;
  port: number;
  user: string;
  database: string;
  /** A pg.Pool on the server. */
  pool(max?: number): pg.Pool;
  /** Environment for a child process: PGHOST, PGPORT, PGUSER, PGDATABASE. */
  env: Record<string, string>;
  /** Stops the server at once (`-m immediate`, like a crash); `start` brings it back on the same data. */
  kill(): void;
  start(): void;
  /** Stops the server and deletes its files. */
  stop(): void;
}

/** The bin dir of the newest installed PostgreSQL, or null. */
export function findPgBin(): string | null {
  const env = process.env.FRESHML_PG_BIN;
  // Set explicitly, it wins: a folder without pg_ctl means "no server here".
  if (env) return existsSync(join(env, "pg_ctl")) ? env : null;
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, "bin", "pg_ctl")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], "bin");
  }
  const which = spawnSync("sh", ["-c", "command -v pg_ctl"], { encoding: "utf8" });
  const found = which.stdout.trim();
  return which.status === 0 && found ? found.replace(/\/pg_ctl$/, "") : null;
}

/** Why a server cannot be started here, or null if it can. */
export function pgUnavailableReason(): string | null {
  if (!findPgBin()) return `PostgreSQL server binaries (initdb, pg_ctl) not found${process.env.FRESHML_PG_BIN ? ` in FRESHML_PG_BIN=${process.env.FRESHML_PG_BIN}` : ""}: install postgresql or set FRESHML_PG_BIN`;
  if (process.getuid?.() === 0 && spawnSync("id", ["-u", "postgres"]).status !== 0) return "running as root and there is no postgres user to run the server as";
  return null;
}

export function startPgServer(): PgServer {
  const bin = findPgBin();
  const reason = pgUnavailableReason();
  if (!bin || reason) throw new Error(reason ?? "no PostgreSQL");
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "freshml-pg-"));
  const data = join(dir, "data");
  if (root) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]): void => {
    const [file, argv] = root ? ["runuser", ["-u", "postgres", "--", join(bin, cmd), ...args]] : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  const port = 5432;
  const user = "freshml";
  run("initdb", ["-D", data, "-A", "trust", "-U", user, "-E", "UTF8", "--locale=C", "--no-sync"]);
  const start = (): void =>
    run("pg_ctl", [
      "start",
      "-D",
      data,
      "-w",
      "-t",
      "60",
      "-l",
      join(dir, "log"),
      "-o",
      `-k ${dir} -p ${port} -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=60`,
    ]);
  start();
  // Never leave a server behind, even if the test process ends early (a timeout, a signal).
  let stopped = false;
  const stopNow = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      run("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]);
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stopNow);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    if (process.listenerCount(sig) === 0) {
      process.once(sig, () => {
        stopNow();
        process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
      });
    }
  }
  const env = { PGHOST: dir, PGPORT: String(port), PGUSER: user, PGDATABASE: "postgres" };
  return {
    host: dir,
    port,
    user,
    database: "postgres",
    env,
    pool: (max = 10) => new pg.Pool({ host: dir, port, user, database: "postgres", max, connectionTimeoutMillis: 5000 }),
    kill: () => run("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w"]),
    start,
    stop: () => {
      process.off("exit", stopNow);
      stopNow();
    },
  };
}

/**
 * Whether suites that need a server run here. With CI=true (or
 * FRESHML_REQUIRE_PG=1, which .ci/run sets) they always run
 * (and fail if the server cannot start); otherwise they run when the binaries
 * are here, and the reason is printed when not.
 */
export function serverSuitesEnabled(suite: string): boolean {
  const reason = pgUnavailableReason();
  if (process.env.CI === "true" || process.env.CI === "1" || process.env.FRESHML_REQUIRE_PG === "1") return true;
  if (reason) {
    process.stderr.write(`\n[freshml] NOT RUN: ${suite} — ${reason}. The store's SQL was tested on PGlite only.\n`);
    return false;
  }
  return true;
}

/** What {@link usePgServer} hands a suite: filled in by its beforeAll. */
export interface PgSuiteServer {
  /** The throwaway server. */
  server: PgServer;
  /** A pool on it (ended in afterAll). */
  pool: pg.Pool;
}

/**
 * Starts a throwaway server (and a pool on it) before the enclosing suite's
 * tests and stops both after them: the setup every server suite shares.
 */
export function usePgServer(poolSize?: number): PgSuiteServer {
  const handle = {} as PgSuiteServer;
  // initdb and start can take well over vitest's default 10 s on a loaded machine.
  beforeAll(() => {
    handle.server = startPgServer();
    handle.pool = handle.server.pool(poolSize);
  }, 120_000);
  afterAll(async () => {
    await handle.pool?.end();
    handle.server?.stop();
  });
  return handle;
}

/** Runs pg-child.ts (or another script beside this file) in a child process connected to `server` (PGHOST, …). */
export function startPgChild(server: PgServer, args: string[], script = "./pg-child.ts", stdin: "pipe" | "ignore" = "pipe"): ChildProcess {
  const file = bundledChild(new URL(script, import.meta.url));
  return spawn(process.execPath, [file, ...args], { stdio: [stdin, "pipe", "pipe"], env: { ...process.env, ...server.env } });
}
