import { formatFingerprint, type HealthResponseBody, HitlError } from "@hitl/verifier";
import { getHostHealth } from "../../sdk/get-host-health.js";
import { type CheckResult, fail, pass, skip } from "./check.js";

export interface HostChecks {
  health: HealthResponseBody | undefined;
  results: CheckResult[];
}

/** Host reachable -> extension connected -> key present: each needs the one before it. */
export async function checkHost(port: number): Promise<HostChecks> {
  let health: HealthResponseBody;
  try {
    health = await getHostHealth({ port });
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    const unreachable = fail("host reachable", `nothing usable answers on 127.0.0.1:${port}`, error.code, error.message);
    const needsHost = "Fix 'host reachable' first.";
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

function fingerprintOf(kid: string): string {
  try {
    return formatFingerprint(kid);
  } catch {
    return kid;
  }
}
