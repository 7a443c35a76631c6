import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { AGENT_CONTRACTS, type AgentName } from "./lib/agents.js";
import { isRecord } from "./lib/hook-input.js";
import { HOOK_TIMEOUT_SECONDS } from "./lib/limits.js";
import { readSettings, settingsProblem, writeSettings } from "./lib/settings-file.js";

/** Ends every command line hitl installs: how `--uninstall` and a re-install find hitl's own entry. */
export const HOOK_MARKER = "#hitl-hook";

export interface InstallHookOptions {
  agent: AgentName;
  scope: "project" | "user";
  uninstall?: boolean;
  /** The project root for --project. */
  projectDir: string;
  /** The home directory for --user. */
  homeDir: string;
  /** Absolute paths: the node that runs hitl and hitl's entry (dist/bin.cjs, or bin/hitl when run through it). */
  node: string;
  bin: string;
  /** CODEX_HOME moves Codex's user directory. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Called before hitl's entry is removed (only when there is one): turning hitl off must not be
   * something an agent does with one command. Throwing leaves the file as it was.
   */
  confirmRemoval?: (file: string) => Promise<void>;
}

export interface InstallHookResult {
  file: string;
  /** "unchanged": the file already said exactly this, and was not written. */
  outcome: "installed" | "updated" | "unchanged" | "removed";
  /** The hook timeout written, in the agent's unit. */
  timeout: number;
  command: string;
}

/**
 * Add (or with `uninstall` remove) hitl's hook in one agent's settings file. Idempotent: the same
 * install twice writes once. Every other key, group and hook is kept as it was; a group emptied
 * by removing hitl's hook is removed, and so are the `hooks` and event members when hitl's removal
 * empties them. The timeout is the longest wait a hook can have plus a margin, not the current
 * policy's longest rule: the policy can change after install, and an agent that kills a slow
 * hook lets the call run.
 */
export async function installHook(options: InstallHookOptions): Promise<InstallHookResult> {
  const contract = AGENT_CONTRACTS[options.agent];
  const file = settingsPath(options);
  const command = hookCommand(options.node, options.bin, options.agent);
  const timeout = contract.timeoutUnit === "seconds" ? HOOK_TIMEOUT_SECONDS : HOOK_TIMEOUT_SECONDS * 1000;
  const ours: Record<string, unknown> = {
    type: "command",
    ...(options.agent === "gemini" && { name: "hitl" }),
    command,
    timeout,
  };

  const settings = await readSettings(file);
  const root = settings.value ?? {};
  const hooks = root.hooks;
  if (hooks !== undefined && !isRecord(hooks)) throw settingsProblem(settings.path, `has a "hooks" member that is not an object`);
  const groups = hooks?.[contract.event];
  if (groups !== undefined && !Array.isArray(groups))
    throw settingsProblem(settings.path, `has a "hooks.${contract.event}" member that is not an array`);

  const existing = (groups ?? []).flatMap((group) => (isRecord(group) && Array.isArray(group.hooks) ? group.hooks.filter(isOurs) : []));
  const result = (outcome: InstallHookResult["outcome"]): InstallHookResult => ({ file: settings.path, outcome, timeout, command });

  if (options.uninstall === true) {
    if (existing.length === 0) return result("unchanged");
    await options.confirmRemoval?.(settings.path);
    const kept = withoutOurs(groups as unknown[]);
    const nextHooks = { ...(hooks as Record<string, unknown>) };
    if (kept.length > 0) nextHooks[contract.event] = kept;
    else delete nextHooks[contract.event];
    const next = { ...root };
    if (Object.keys(nextHooks).length > 0) next.hooks = nextHooks;
    else delete next.hooks;
    await writeSettings(settings, next);
    return result("removed");
  }

  const installedAlready =
    existing.length === 1 &&
    isDeepStrictEqual(existing[0], ours) &&
    (groups ?? []).some(
      (group) => isRecord(group) && group.matcher === contract.matchAll && Array.isArray(group.hooks) && group.hooks.includes(existing[0]),
    );
  if (installedAlready) return result("unchanged");
  const nextGroups = [...withoutOurs(groups ?? []), { matcher: contract.matchAll, hooks: [ours] }];
  await writeSettings(settings, { ...root, hooks: { ...(hooks ?? {}), [contract.event]: nextGroups } });
  return result(existing.length > 0 ? "updated" : "installed");
}

/** The settings file for the scope: Claude Code and Gemini CLI settings, Codex's hooks.json. */
export function settingsPath(options: Pick<InstallHookOptions, "agent" | "scope" | "projectDir" | "homeDir" | "env">): string {
  const contract = AGENT_CONTRACTS[options.agent];
  if (options.scope === "project") return join(options.projectDir, contract.projectSettings);
  const codexHome = (options.env ?? process.env).CODEX_HOME;
  if (options.agent === "codex" && codexHome !== undefined && codexHome.length > 0) return join(codexHome, "hooks.json");
  return join(options.homeDir, contract.userSettings);
}

/**
 * The command line the agent runs through its shell: this node and this hitl by absolute path (no
 * PATH lookup). A hook that cannot start or crashes exits with something other than 0 or 2, which
 * every agent treats as a NON-blocking error; the tail turns any such exit into exit 2 with a
 * reason on stderr (Codex ignores an exit 2 without one), so even a deleted hitl blocks.
 */
export function hookCommand(node: string, bin: string, agent: AgentName): string {
  return (
    `${shellQuote(node)} ${shellQuote(bin)} hook ${agent}; s=$?; [ "$s" -eq 0 ] || [ "$s" -eq 2 ] || ` +
    `{ echo "hitl: the hook failed (exit $s), so the call is blocked; run 'hitl doctor' and 'hitl hook install ${agent}'." >&2; exit 2; }; ` +
    `exit "$s" ${HOOK_MARKER}`
  );
}

function isOurs(hook: unknown): boolean {
  return isRecord(hook) && typeof hook.command === "string" && hook.command.trimEnd().endsWith(HOOK_MARKER);
}

/** The groups without hitl's hooks; a group that held only hitl's hooks goes too. */
function withoutOurs(groups: readonly unknown[]): unknown[] {
  return groups.flatMap((group) => {
    if (!isRecord(group) || !Array.isArray(group.hooks) || !group.hooks.some(isOurs)) return [group];
    const rest = group.hooks.filter((hook) => !isOurs(hook));
    return rest.length === 0 ? [] : [{ ...group, hooks: rest }];
  });
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
