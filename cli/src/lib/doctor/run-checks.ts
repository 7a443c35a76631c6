import { readTeamConfig, type TeamConfig } from "@hitl/sdk/internal";
import { HitlError, resolvePaths } from "@hitl/verifier";
import { type CheckResult, fail, pass } from "./check.js";
import { checkHost } from "./host-checks.js";
import { checkManifests } from "./manifest-check.js";
import { checkPaired } from "./paired-check.js";
import { checkReplayStore } from "./replay-store-check.js";
import { checkHostSecret } from "./secret-check.js";
import { checkTeamClient, checkTeamKeycloak, checkTeamLogin, checkTeamServer } from "./team-checks.js";

export interface DoctorReport {
  /** Every required check passed (a warning keeps it true). */
  ok: boolean;
  checks: CheckResult[];
}

/**
 * Every link `hitl doctor` checks, in the order it prints them: the mode, host manifest, host
 * secret, signing host and extension, then pairing and replay store (local mode) or the hitl
 * server, Keycloak, the verify client and the browser's team login (team mode). Shared by
 * `hitl doctor` and the `approval_status` tool of `hitl mcp`, so both judge the chain the same way.
 */
export async function runDoctorChecks(options: { port: number; userDataDir?: string; env: NodeJS.ProcessEnv }): Promise<DoctorReport> {
  const paths = resolvePaths(options.env);
  // Independent links are checked at once; manifests and pairing are judged with what the host reports.
  const secret = checkHostSecret(paths.hostSecretFile);
  let team: TeamConfig | undefined;
  try {
    team = readTeamConfig(paths.configDir);
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return { ok: false, checks: [fail("mode", "team.json is unusable", error.code, error.message)] };
  }
  const [host, replay] = await Promise.all([
    checkHost(options.port, secret.secret, options.env),
    team === undefined ? checkReplayStore(options.env) : undefined,
  ]);
  const connected = host.health?.extension.connected === true;
  const manifests = await checkManifests(options.userDataDir, connected);
  let checks: CheckResult[];
  if (team === undefined) {
    const mode = pass("mode", "local: approvers file and this machine's replay store (team mode: hitl setup --team URL)", false);
    const paired = await checkPaired(paths.approversFile, host.health);
    checks = [mode, manifests, secret.result, ...host.results, paired, ...(replay === undefined ? [] : [replay])];
  } else {
    const mode = pass(
      "mode",
      `team: receipts verified by ${team.server} (Keycloak ${team.keycloak}, realm ${team.realm}); the approvers file is not used`,
    );
    const [server, keycloak] = await Promise.all([checkTeamServer(team), checkTeamKeycloak(team)]);
    const client = await checkTeamClient(team, paths.configDir, keycloak);
    checks = [mode, manifests, secret.result, ...host.results, server, keycloak, client, checkTeamLogin(host.health)];
  }
  const ok = checks.every((check) => check.status === "pass" || check.status === "warn" || !check.required);
  return { ok, checks };
}
