import { type Stats, statSync } from "node:fs";
import { decide, decideNow, defaultPolicyFile, type LoadedPolicy, loadPolicy } from "../../policy/index.js";
import type { GateOptions, GateVerdict } from "./gate.js";

/** What identifies one version of the policy file: any edit, replacement or removal changes one of these. */
type Stamp = Pick<Stats, "dev" | "ino" | "size" | "mtimeMs" | "ctimeMs"> | undefined;

function sameStamp(a: Stamp, b: Stamp): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.dev === b.dev;
}

/**
 * The gate's policy question for one tools/call, asked through the shared policy API (a ToolCall
 * of kind "mcp"). The file is stat'ed before every call and read again whenever its device,
 * inode, size, modification or change time differs from the version loaded (the stat comes before
 * the read, so a change during the read is seen at the next call): an edit, itself approved by a
 * human, applies to the very next call without a restart, and that call waits for the new
 * version; it is never judged by the old one. A file that became unreadable or invalid makes every
 * call "ask"; a default file that was removed means the built-in rules, a --policy file that was
 * removed asks for everything. While the loaded version is current, the answer comes without a
 * promise (decideNow), so an allowed call is forwarded in the same turn it arrived.
 */
export function policyDecider(options: { file: string | undefined; env: NodeJS.ProcessEnv; cwd: string }): GateOptions["decide"] {
  const file = options.file ?? defaultPolicyFile(options.env);
  let loaded: { stamp: Stamp; policy: Promise<LoadedPolicy>; ready: LoadedPolicy | undefined } | undefined;
  return (call) => {
    const info = statSync(file, { throwIfNoEntry: false });
    const stamp: Stamp =
      info === undefined ? undefined : { dev: info.dev, ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs };
    if (loaded === undefined || !sameStamp(loaded.stamp, stamp)) {
      // Only --policy names a file: a missing default file means the built-in rules, a missing
      // named one is a problem (so everything is asked).
      const current: NonNullable<typeof loaded> = {
        stamp,
        policy: loadPolicy({ ...(options.file !== undefined && { file: options.file }), env: options.env }),
        ready: undefined,
      };
      current.policy.then((policy) => {
        current.ready = policy;
      });
      loaded = current;
    }
    const toolCall = { kind: "mcp" as const, ...call, cwd: options.cwd };
    const now = loaded.ready === undefined ? undefined : decideNow(loaded.ready, toolCall, { env: options.env });
    if (now !== undefined) return now;
    return loaded.policy.then((policy): Promise<GateVerdict> => decide(policy, toolCall, { env: options.env }));
  };
}
