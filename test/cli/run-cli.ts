/** Runs the freshml CLI from source (src/node/cli/bin.ts, through tsx) in a child process: shared by the CLI suites. */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The repository's root. */
export const repo = resolve(__dirname, "../..");
const req = createRequire(join(repo, "package.json"));
const tsx = pathToFileURL(req.resolve("tsx")).href;
/** zod's entry as a file: URL, for config files written into a temp folder. */
export const zod = pathToFileURL(req.resolve("zod")).href;

/** What a CLI run gave. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A `cli(...args)` that runs the CLI in `cwd`, without colours. */
export function cliIn(cwd: string): (...args: string[]) => Promise<CliResult> {
  return (...args) =>
    new Promise((res) => {
      execFile(process.execPath, ["--import", tsx, join(repo, "src/node/cli/bin.ts"), ...args], { cwd, env: { ...process.env, NO_COLOR: "1" } }, (err, stdout, stderr) => {
        res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
}
