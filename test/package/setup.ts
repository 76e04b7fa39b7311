// Global setup of the "package" project: builds dist/ if it is missing or older
// than src/ (CI builds first), packs the package with `npm pack`, and installs the
// tarball into a throwaway project in a temp dir — from npm's cache
// (--prefer-offline: every dependency is there after `npm ci`).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const root = fileURLToPath(new URL("../..", import.meta.url));

function newest(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir).map((f) => {
      const p = join(dir, f);
      const s = statSync(p);
      return s.isDirectory() ? newest(p) : s.mtimeMs;
    }),
  );
}

function ensureBuilt(): void {
  const outputs = ["dist/esm/index.js", "dist/cjs/index.js", "dist/esm/index.d.ts"].map((p) => join(root, p));
  const built = outputs.every((p) => existsSync(p)) ? Math.min(...outputs.map((p) => statSync(p).mtimeMs)) : 0;
  if (built < Math.max(newest(join(root, "src")), statSync(join(root, "package.json")).mtimeMs)) {
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  }
}

const version = (pkg: string): string => (JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;

export default function setup(project: TestProject): () => void {
  ensureBuilt();
  const work = mkdtempSync(join(tmpdir(), "freshml-package-"));
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const packed = JSON.parse(execFileSync(npm, ["pack", "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" })) as Array<{ filename: string }>;
  const tarball = join(work, packed[0]!.filename);
  const app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), `${JSON.stringify({ name: "freshml-consumer", private: true, type: "module" }, null, 2)}\n`);
  execFileSync(
    npm,
    ["install", tarball, `zod@${version("zod")}`, `@types/node@${version("@types/node")}`, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
    { cwd: app, stdio: ["ignore", "ignore", "inherit"] },
  );
  cpSync(join(root, "test/package/consumers"), app, { recursive: true });
  project.provide("freshmlTarball", tarball);
  project.provide("freshmlApp", app);
  return () => rmSync(work, { recursive: true, force: true });
}
