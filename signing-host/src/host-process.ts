/*
 * The host as an operating-system process: the log file, stray console output sent to it,
 * crashes logged, SIGTERM/SIGINT, and the exit code. main.ts (the binary the browser starts)
 * runs it with the defaults; tests that need other bounds (e.g. 1,000 pending approvals) run the
 * same process code with `server` overrides.
 */
import { format } from "node:util";
import { resolvePaths } from "@hitl/verifier";
import { runSigningHost, type SigningHostOptions } from "./host.js";
import { openHostLog } from "./lib/log.js";

export async function runHostProcess(server?: SigningHostOptions["server"]): Promise<never> {
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

  const host = await runSigningHost({
    input: process.stdin,
    output: process.stdout,
    argv: process.argv.slice(2),
    env: process.env,
    log,
    ...(server === undefined ? {} : { server }),
  });
  process.once("SIGTERM", () => void host.stop());
  process.once("SIGINT", () => void host.stop());
  const code = await host.exited;
  log.close();
  process.exit(code);
}
