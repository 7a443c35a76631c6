import { getHostHealth } from "@hitl/sdk";
import { formatFingerprint, type HealthResponseBody, HitlError, resolvePaths } from "@hitl/verifier";
import { type CheckResult, fail, pass, skip } from "./check.js";
import { lastStartFailure } from "./host-log.js";
import { describeOwner, findListenerOwner } from "./listener-owner.js";

export interface HostChecks {
  health: HealthResponseBody | undefined;
  results: CheckResult[];
}

/**
 * Host reachable -> extension connected -> key present: each needs the one before it, and all
 * need the host secret (without it no answer can be told from a stranger's).
 */
export async function checkHost(port: number, secret: Uint8Array | undefined, env: NodeJS.ProcessEnv): Promise<HostChecks> {
  const needsHost = "Fix 'host reachable' first.";
  if (secret === undefined) {
    const needsSecret = "Fix 'host secret' first.";
    return {
      health: undefined,
      results: [
        skip("host reachable", "needs the host secret", needsSecret),
        skip("extension connected", "needs the host", needsHost),
        skip("key present", "needs the host", needsHost),
      ],
    };
  }
  let health: HealthResponseBody;
  try {
    health = await getHostHealth({ port, secret });
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    const unreachable = await notReachable(port, error, resolvePaths(env).hostLogFile);
    return {
      health: undefined,
      results: [unreachable, skip("extension connected", "needs the host", needsHost), skip("key present", "needs the host", needsHost)],
    };
  }
  const results: CheckResult[] = [
    pass("host reachable", `signing host ${health.host.version} (pid ${health.host.pid}) on 127.0.0.1:${port}`),
  ];
  const { extension } = health;
  if (!extension.connected) {
    results.push(
      fail(
        "extension connected",
        "the host runs, but no extension is connected to it",
        "ERR_EXTENSION_NOT_CONNECTED",
        "Open your browser's extensions page, make sure hitl is enabled, and reload it (it connects to the host at start-up).",
      ),
      skip("key present", "needs the extension", "Fix 'extension connected' first."),
    );
    return { health, results };
  }
  results.push(pass("extension connected", `hitl ${extension.extensionVersion} in ${extension.browser}`));
  if (!extension.keyPresent && extension.keyPolicy === "session" && extension.subject !== undefined) {
    results.push(
      fail(
        "key present",
        "the paired session key ended when the browser quit (session keys live in memory only)",
        "ERR_SESSION_KEY_ENDED",
        "Run 'hitl pair --key-lifetime session' to pair a new session key, or 'hitl pair' for a key kept across browser restarts.",
      ),
    );
  } else if (!extension.keyPresent || extension.kid === undefined) {
    results.push(
      fail(
        "key present",
        "the extension has no signing key",
        "ERR_NO_KEY",
        "Run 'hitl pair': the extension creates its key when you click Pair; its toolbar popup then shows the key fingerprint.",
      ),
    );
  } else {
    results.push(pass("key present", `${extension.keyPolicy} key ${fingerprintOf(extension.kid)}`));
  }
  return { health, results };
}

/**
 * No usable answer. The browser starts the signing host, so what went wrong with it is in its
 * log alone (a port taken by another program: ERR_PORT_IN_USE there); every remedy names it.
 */
async function notReachable(port: number, error: HitlError, logFile: string): Promise<CheckResult> {
  const failure = await lastStartFailure(logFile);
  const log =
    failure === undefined
      ? `Why the signing host stopped or did not start is in its log, ${logFile}.`
      : `Its log, ${logFile}, says it could not start at ${failure.at} (${failure.code}).`;
  if ((error.cause as NodeJS.ErrnoException | undefined)?.code === "ECONNREFUSED") {
    return fail(
      "host reachable",
      `nothing listens on 127.0.0.1:${port}`,
      error.code,
      `Open your browser with the hitl extension (it starts the signing host); if it is open, run 'hitl setup' once and restart the browser. ${log}`,
    );
  }
  // Something holds the port but does not answer as our host: name it, as far as the OS tells.
  const owner = await findListenerOwner(port);
  const who = owner === undefined ? "its owner is not visible on this OS" : `owner: ${describeOwner(owner)}`;
  const stop =
    owner?.pid === undefined ? `Stop the program listening on port ${port}` : `Stop it (kill ${owner.pid}, as its owner or root)`;
  const remedy = `${stop}, then restart your browser so its signing host can take the port; until then nothing it answers is trusted. ${log}`;
  if (error.code === "ERR_HOST_UNAUTHENTICATED") {
    return fail(
      "host reachable",
      `something else is listening on ${port} and could not prove it is your hitl signing host (${who})`,
      error.code,
      `${remedy} If you re-created the host secret with 'hitl setup' since the browser started, restart the browser.`,
    );
  }
  return fail("host reachable", `something on ${port} does not answer as a hitl signing host (${who})`, error.code, remedy);
}

function fingerprintOf(kid: string): string {
  try {
    return formatFingerprint(kid);
  } catch {
    return kid;
  }
}
