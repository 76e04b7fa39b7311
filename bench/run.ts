/** `npm run bench`: every benchmark in turn, each in its own process; arguments go to each. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// bench:postgres and bench:redis start their own throwaway servers, and say they were skipped where the
// server binaries are missing.
for (const file of ["learners.bench.ts", "store.bench.ts", "postgres.bench.ts", "validation.bench.ts", "pipeline.bench.ts", "event-loop.bench.ts", "auto.bench.ts", "report.bench.ts", "redis.bench.ts"]) {
  execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL(file, import.meta.url)), ...process.argv.slice(2)], { stdio: "inherit" });
}
