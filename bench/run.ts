/** `npm run bench`: every benchmark in turn, each in its own process; arguments go to each. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// bench:postgres is apart: it needs a PostgreSQL server (see docs/many-machines.md). bench:redis starts its own
// throwaway redis-server, and says it was skipped where there is none.
for (const file of ["learners.bench.ts", "store.bench.ts", "validation.bench.ts", "pipeline.bench.ts", "event-loop.bench.ts", "auto.bench.ts", "report.bench.ts", "redis.bench.ts"]) {
  execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL(file, import.meta.url)), ...process.argv.slice(2)], { stdio: "inherit" });
}
