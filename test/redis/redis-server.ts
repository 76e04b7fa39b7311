/**
 * Throwaway Redis servers for tests: redis-server on a unix socket in a temp
 * dir (no TCP port, so nothing collides), stopped and deleted afterwards.
 * Not a test itself.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@redis/client";

export type TestRedisClient = ReturnType<typeof createClient>;

export interface RedisServer {
  /** The server's socket. */
  socket: string;
  /** `unix://…`, for REDIS_URL and createClient({ url }). */
  url: string;
  /** A connected client, RESP3 (the default of @redis/client 6) or RESP2; errors are swallowed: the tests see them as rejected commands. */
  client(resp?: 2 | 3): Promise<TestRedisClient>;
  /** Kills the server at once (SIGKILL); `start` brings it back on the same data (append-only file). */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
}

/** The redis-server binary, or null. */
export function findRedisServer(): string | null {
  const env = process.env.FRESHML_REDIS_SERVER;
  if (env) return existsSync(env) ? env : null;
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const found = which.stdout.trim();
  return which.status === 0 && found ? found : null;
}

/** Why a server cannot be started here, or null if it can. */
export function redisUnavailableReason(): string | null {
  return findRedisServer() ? null : `redis-server not found${process.env.FRESHML_REDIS_SERVER ? ` at FRESHML_REDIS_SERVER=${process.env.FRESHML_REDIS_SERVER}` : ""}: install redis-server (Debian package) or set FRESHML_REDIS_SERVER`;
}

/**
 * Whether suites that need a Redis server run here. With CI=true or
 * FRESHML_REQUIRE_REDIS=1 (which .ci/run sets) they always run, and fail if
 * the server cannot start; otherwise they run when redis-server is here, and
 * say clearly that they were not run when it is not.
 */
export function redisSuitesEnabled(suite: string): boolean {
  if (process.env.CI === "true" || process.env.CI === "1" || process.env.FRESHML_REQUIRE_REDIS === "1") return true;
  const reason = redisUnavailableReason();
  if (reason) {
    process.stderr.write(`\n[freshml] NOT RUN: ${suite} — ${reason}.\n`);
    return false;
  }
  return true;
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Starts redis-server; `durable` keeps an fsync'ed append-only file so a killed server comes back with its data. */
export async function startRedisServer(options: { durable?: boolean } = {}): Promise<RedisServer> {
  const bin = findRedisServer();
  if (!bin) throw new Error(redisUnavailableReason() ?? "no redis-server");
  const dir = mkdtempSync(join(tmpdir(), "freshml-redis-"));
  const socket = join(dir, "redis.sock");
  const args = ["--port", "0", "--unixsocket", socket, "--unixsocketperm", "700", "--dir", dir, "--save", "", "--daemonize", "no", "--logfile", join(dir, "log")];
  if (options.durable) args.push("--appendonly", "yes", "--appendfsync", "always");
  else args.push("--appendonly", "no");
  let proc: ChildProcess | null = null;
  const clients: Array<{ isOpen: boolean; destroy(): void }> = [];

  const start = async (): Promise<void> => {
    rmSync(socket, { force: true });
    const p = spawn(bin, args, { stdio: "ignore" });
    proc = p;
    const deadline = Date.now() + 20_000;
    // Waits for the server to accept connections (a readiness poll, not a test sleep).
    while (!(await canConnect(socket))) {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`redis-server exited (${p.exitCode ?? p.signalCode}) before it listened; see ${join(dir, "log")}`);
      if (Date.now() > deadline) throw new Error("redis-server did not listen within 20 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    // A restarted durable server answers LOADING while it replays its file.
    const probe = createClient({ socket: { path: socket, reconnectStrategy: false } });
    probe.on("error", () => undefined);
    await probe.connect();
    try {
      for (;;) {
        const pong = await probe.ping().catch((err: unknown) => (String(err).includes("LOADING") ? null : Promise.reject(err)));
        if (pong === "PONG") break;
        if (Date.now() > deadline) throw new Error("redis-server still loading after 20 s");
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      probe.destroy();
    }
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGKILL");
    await exited;
  };
  let stopped = false;
  const stopNow = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      proc?.kill("SIGKILL");
    } catch {
      // gone already
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Never leave a server behind, even if the test process ends early.
  process.once("exit", stopNow);
  await start();
  return {
    socket,
    url: `unix://${socket}`,
    client: async (resp: 2 | 3 = 3) => {
      const c = createClient({ RESP: resp, socket: { path: socket, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 500) } });
      c.on("error", () => undefined);
      clients.push(c);
      await c.connect();
      return c as unknown as TestRedisClient;
    },
    kill,
    start,
    stop: async () => {
      for (const c of clients) if (c.isOpen) c.destroy();
      await kill();
      process.off("exit", stopNow);
      stopNow();
    },
  };
}
