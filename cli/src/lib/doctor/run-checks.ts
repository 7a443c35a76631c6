import { resolvePaths } from "@hitl/verifier";
import type { CheckResult } from "./check.js";
import { checkHost } from "./host-checks.js";
import { checkManifests } from "./manifest-check.js";
import { checkPaired } from "./paired-check.js";
import { checkReplayStore } from "./replay-store-check.js";
import { checkHostSecret } from "./secret-check.js";

export interface DoctorReport {
  /** Every required check passed (a warning keeps it true). */
  ok: boolean;
  checks: CheckResult[];
}

/**
 * Every link `hitl doctor` checks, in the order it prints them: host manifest, host secret,
 * signing host and extension, pairing, replay store. Shared by `hitl doctor` and the
 * `approval_status` tool of `hitl mcp`, so both always judge the chain the same way.
 */
export async function runDoctorChecks(options: { port: number; userDataDir?: string; env: NodeJS.ProcessEnv }): Promise<DoctorReport> {
  const paths = resolvePaths(options.env);
  // Independent links are checked at once; manifests and pairing are judged with what the host reports.
  const secret = checkHostSecret(paths.hostSecretFile);
  const [host, replay] = await Promise.all([checkHost(options.port, secret.secret), checkReplayStore(options.env)]);
  const connected = host.health?.extension.connected === true;
  const [manifests, paired] = await Promise.all([
    checkManifests(options.userDataDir, connected),
    checkPaired(paths.approversFile, host.health),
  ]);
  const checks: CheckResult[] = [manifests, secret.result, ...host.results, paired, replay];
  const ok = checks.every((check) => check.status === "pass" || check.status === "warn" || !check.required);
  return { ok, checks };
}
