import { join } from "node:path";
import { configDir } from "./lib/config-dir.js";

/** Where the policy is read from: $HITL_POLICY when set, else $HITL_CONFIG_DIR/policy.json (outside any project). */
export function defaultPolicyFile(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.HITL_POLICY;
  if (explicit !== undefined && explicit.length > 0) return explicit;
  return join(configDir(env), "policy.json");
}
