import { AGENTS, type AgentName, isAgentName } from "../hooks/lib/agents.js";
import { readBounded } from "../hooks/lib/hook-input.js";
import { denyOutput, type HookResult } from "../hooks/lib/hook-output.js";
import { MAX_HOOK_WAIT_SECONDS } from "../hooks/lib/limits.js";
import { internalFailure, runHook } from "../hooks/run-hook.js";
import { defineCommand } from "../lib/command.js";

export const command = defineCommand({
  name: "hook",
  usage: ["<agent>", "install <agent> [--project | --user] [--uninstall]"],
  description: `<agent> is one of: ${AGENTS.join(", ")}.

hitl hook <agent>   (run by the agent, not by you) reads one tool call as JSON on stdin, asks the
                    policy ($HITL_CONFIG_DIR/policy.json), and for a call the policy gates asks the
                    human in the browser. Allowed: exit 0, no output. Approved: exit 0 (Claude Code
                    and Gemini CLI also get an "allow" decision). Denied, timed out, no host, not
                    paired, malformed input or policy, any failure: exit 2 with the reason on
                    stderr (and the agent's JSON deny on stdout where it documents one). Never 1.

hitl hook install <agent>   adds hitl to the agent's settings file, keeping everything else.
Run it again after moving or updating hitl: the entry names this node and this hitl by absolute path.`,
  options: {
    user: {
      type: "boolean",
      help: "install: ~/.claude/settings.json, ~/.codex/hooks.json ($CODEX_HOME),\n~/.gemini/settings.json (default)",
    },
    project: { type: "boolean", help: "install: the same file under the current directory (.claude/, .codex/, .gemini/)" },
    uninstall: { type: "boolean", help: "install: remove only hitl's entry, after you approve that in the approval window" },
  },
  // The agent is the caller: what it gets is decided below (exit 2 blocks), not by flag parsing.
  rawArgs: true,
  // The agent stopping the hook (the user cancelled the tool call) withdraws an open request;
  // Ctrl-C during 'hook install --uninstall' withdraws its approval request.
  withdrawOnSignal: true,
  failureExit: 2,
  exits: { ok: "allowed or approved (hook); done (install)", error: "install refused" },
  notes: "The hook itself exits 2 for every ending that is not an allow or an approval (see above).",
  run: ({ positionals, signal }) => hook(positionals, signal),
});
export const run = command.run;

async function hook(argv: readonly string[], signal: AbortSignal): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "install") {
    // Kept out of the hook bundle like the asking path (scripts/bundle.mjs): a hook never loads it.
    const { runInstall } = await import("../hooks/install-command.js");
    return runInstall(rest, signal);
  }
  // From here on the agent is the caller: every ending that is not a decision is exit 2 (blocking).
  if (first === undefined || !isAgentName(first)) {
    process.stderr.write(
      `hitl: ERR_USAGE: 'hitl hook' needs the agent (${AGENTS.join(", ")}), got ${JSON.stringify(first ?? "")}; the call is blocked. Fix the hook command (run 'hitl hook install <agent>').\n`,
    );
    return 2;
  }
  const agent: AgentName = first;
  if (rest.length > 0) {
    return emit(
      denyOutput(
        agent,
        `hitl: ERR_USAGE: 'hitl hook ${agent}' takes no arguments, got ${JSON.stringify(rest.join(" "))}; the call is blocked. Run 'hitl hook install ${agent}' to fix the hook command.`,
      ),
    );
  }
  return runAsHook(agent, signal);
}

async function runAsHook(agent: AgentName, signal: AbortSignal): Promise<number> {
  let settled = false;
  const finish = (result: HookResult): number => {
    if (settled) return 2;
    settled = true;
    return emit(result);
  };
  // Whatever else happens, the process ends with a blocking answer.
  const crash = (error: unknown): void => {
    process.exitCode = finish(denyOutput(agent, internalFailure(error)));
    process.exit();
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  // Our own deadline, below the timeout the agent was given at install: the agent killing us would let the call run.
  const watchdog = setTimeout(
    () => crash(new Error(`no decision within ${MAX_HOOK_WAIT_SECONDS + 10} s`)),
    (MAX_HOOK_WAIT_SECONDS + 10) * 1000,
  );
  watchdog.unref();
  try {
    let stdin: Uint8Array | Error;
    try {
      stdin = await readBounded(0);
    } catch (error) {
      stdin = error instanceof Error ? error : new Error(String(error));
    }
    return finish(await runHook(agent, stdin, { signal }));
  } finally {
    clearTimeout(watchdog);
  }
}

function emit(result: HookResult): number {
  if (result.stdout.length > 0) process.stdout.write(result.stdout);
  if (result.stderr.length > 0) process.stderr.write(result.stderr);
  return result.exitCode;
}
