import { statSync } from "node:fs";
import { decide, defaultPolicyFile, type LoadedPolicy, loadPolicy } from "../../policy/index.js";
import type { GateOptions } from "./gate.js";

/**
 * The gate's policy question for one tools/call, asked through the shared policy API (a ToolCall
 * of kind "mcp"). The file is read again whenever its size or modification time changed, so an
 * edit (itself approved by a human) applies to the next call without a restart, and an unchanged
 * file costs one stat per call.
 */
export function policyDecider(options: { file: string | undefined; env: NodeJS.ProcessEnv; cwd: string }): GateOptions["decide"] {
  const file = options.file ?? defaultPolicyFile(options.env);
  let loaded: { stamp: string; policy: Promise<LoadedPolicy> } | undefined;
  return async (call) => {
    const info = statSync(file, { throwIfNoEntry: false });
    const stamp = info === undefined ? "missing" : `${info.size}:${info.mtimeMs}:${info.ino}`;
    if (loaded?.stamp !== stamp) {
      // Only --policy names a file: a missing default file means the built-in rules, a missing
      // named one is a problem (so everything is asked).
      loaded = { stamp, policy: loadPolicy({ ...(options.file !== undefined && { file: options.file }), env: options.env }) };
    }
    const policy = await loaded.policy;
    return decide(policy, { kind: "mcp", ...call, cwd: options.cwd }, { env: options.env });
  };
}
