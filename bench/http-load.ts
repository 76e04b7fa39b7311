/**
 * The load generator of bench/event-loop.bench.ts, run as a child process so
 * that its own work does not sit in the server's event loop: `connections`
 * keep-alive connections, each sending GET requests one after the other for
 * `ms` milliseconds, to http://127.0.0.1:<port><path>. Prints one JSON line:
 * the latencies (ms), sorted, and the count of failed requests.
 *
 *   tsx bench/http-load.ts <port> <ms> [connections=4] [path=/predict]
 */
import { Agent, request } from "node:http";

const [port, ms, connections = "4", path = "/predict"] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: Number(connections) });
const latencies: number[] = [];
let failed = 0;
const until = performance.now() + Number(ms);

function once(k: number): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request({ host: "127.0.0.1", port: Number(port), path: `${path}?k=${k}`, agent }, (res) => {
      res.resume();
      res.on("end", () => {
        if (res.statusCode === 200) latencies.push(performance.now() - t0);
        else failed++;
        resolve();
      });
    });
    req.on("error", () => {
      failed++;
      resolve();
    });
    req.end();
  });
}

await Promise.all(
  Array.from({ length: Number(connections) }, async (_, c) => {
    for (let k = c; performance.now() < until; k += Number(connections)) await once(k);
  }),
);
agent.destroy();
latencies.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ latencies, failed }) + "\n");
