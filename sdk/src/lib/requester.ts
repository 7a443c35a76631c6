import { hostname } from "node:os";
import type { RequesterContext } from "@hitl/verifier";

/** Who asks, as the approval window shows it: informational, but signed over with the rest. */
export function defaultRequester(tool = "hitl-cli"): RequesterContext {
  return { tool, host: hostname(), pid: process.pid, cwd: process.cwd() };
}

/** Integer seconds since the epoch: the protocol's only time unit. */
export function toSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
