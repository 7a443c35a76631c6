import { homedir } from "node:os";
import { join } from "node:path";

/**
 * $HITL_CONFIG_DIR, else $XDG_CONFIG_HOME/hitl, else ~/.config/hitl: the same answer as
 * resolvePaths().configDir in @hitl/verifier (test/policy-load.test.ts checks), without loading
 * the verifier on a hook's start-up path.
 */
export function configDir(env: NodeJS.ProcessEnv): string {
  const explicit = env.HITL_CONFIG_DIR;
  if (explicit !== undefined && explicit.length > 0) return explicit;
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg !== undefined && xdg.length > 0 ? xdg : join(homeDir(env), ".config"), "hitl");
}

export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME !== undefined && env.HOME.length > 0 ? env.HOME : homedir();
}
