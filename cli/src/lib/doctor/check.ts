import type { ErrorCode } from "@hitl/verifier";

/**
 * One link of the chain, as `hitl doctor` reports it. `skip` means it could not be checked
 * because an earlier link is broken; like `fail`, it keeps the exit code non-zero when required.
 * `warn`: it works, but a setting weakens a guarantee; the exit code stays 0.
 */
export interface CheckResult {
  name: string;
  status: "pass" | "warn" | "fail" | "skip";
  required: boolean;
  /** What was found, one line. */
  detail: string;
  code?: ErrorCode;
  /** One line: what to do. Present whenever status is not "pass". */
  remedy?: string;
}

export function pass(name: string, detail: string, required = true): CheckResult {
  return { name, status: "pass", required, detail };
}

export function warn(name: string, detail: string, remedy: string, required = true): CheckResult {
  return { name, status: "warn", required, detail, remedy };
}

export function fail(name: string, detail: string, code: ErrorCode, remedy: string, required = true): CheckResult {
  return { name, status: "fail", required, detail, code, remedy };
}

export function skip(name: string, detail: string, remedy: string, required = true): CheckResult {
  return { name, status: "skip", required, detail, remedy };
}
