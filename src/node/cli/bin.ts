#!/usr/bin/env node
/** The `freshml` executable: see `main`. */
import { main } from "./main.js";

void main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  tty: process.stderr.isTTY === true,
}).then((code) => {
  process.exitCode = code;
});
