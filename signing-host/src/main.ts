#!/usr/bin/env node
/*
 * The native-messaging host binary, started by the browser (runtime.connectNative). stdout
 * carries length-prefixed frames and nothing else; every diagnostic goes to the log file.
 */
import { format } from "node:util";
import { resolvePaths } from "@hitl/verifier";
import { runSigningHost } from "./host.js";
import { openHostLog } from "./lib/log.js";

const log = openHostLog(resolvePaths().hostLogFile);

// A stray console.log from any dependency would corrupt the frame stream: send it to the log.
for (const method of ["log", "info", "debug", "warn", "error", "trace", "dir"] as const) {
  console[method] = (...args: unknown[]) => log.warn("console", { text: format(...args).slice(0, 2000) });
}

function die(event: string, error: unknown): never {
  log.error(event, { reason: error instanceof Error ? error.message : String(error) });
  log.close();
  process.exit(1);
}
process.on("uncaughtException", (error) => die("host.uncaught-exception", error));
process.on("unhandledRejection", (error) => die("host.unhandled-rejection", error));

const host = await runSigningHost({ input: process.stdin, output: process.stdout, argv: process.argv.slice(2), env: process.env, log });
process.once("SIGTERM", () => void host.stop());
process.once("SIGINT", () => void host.stop());
const code = await host.exited;
log.close();
process.exit(code);
