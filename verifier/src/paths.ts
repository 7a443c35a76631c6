import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where hitl keeps files (XDG Base Directory). HITL_CONFIG_DIR / HITL_STATE_DIR override, so
 * tests and several set-ups on one machine never touch the real home.
 */
export interface HitlPaths {
  /** ~/.config/hitl: configuration and the approvers file. */
  configDir: string;
  /** ~/.local/state/hitl: replay store, logs. */
  stateDir: string;
  /** Registered approver keys (written by `hitl pair`, mode 0600). */
  approversFile: string;
  /**
   * The per-user secret the signing host proves itself with (written by `hitl setup`, mode
   * 0600 in a 0700 directory; docs/protocol.md section 6.1).
   */
  hostSecretFile: string;
  /** Embedded single-use nonce store. */
  nonceDir: string;
  /** Signing host log. */
  hostLogFile: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): HitlPaths {
  const home = env.HOME && env.HOME.length > 0 ? env.HOME : homedir();
  const configDir = nonEmpty(env.HITL_CONFIG_DIR) ?? join(nonEmpty(env.XDG_CONFIG_HOME) ?? join(home, ".config"), "hitl");
  const stateDir = nonEmpty(env.HITL_STATE_DIR) ?? join(nonEmpty(env.XDG_STATE_HOME) ?? join(home, ".local", "state"), "hitl");
  return {
    configDir,
    stateDir,
    approversFile: join(configDir, "approvers.json"),
    hostSecretFile: join(configDir, "host-secret"),
    nonceDir: join(stateDir, "nonces"),
    hostLogFile: join(stateDir, "signing-host.log"),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.length > 0 ? value : undefined;
}
