import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { HitlError } from "@hitl/verifier";
import { parseFlags, reportFailure } from "../lib/command.js";
import { ExitError } from "../lib/exit-error.js";
import { installHook } from "./install-hook.js";
import { AGENT_CONTRACTS, AGENTS, isAgentName } from "./lib/agents.js";

/** `hitl hook install <agent> [--project | --user] [--uninstall]`: exit 0 done, 3 refused. */
export async function runInstall(argv: string[], signal?: AbortSignal): Promise<number> {
  try {
    const flag = { type: "boolean", help: "" } as const;
    const { values, positionals } = parseFlags("hook", argv, { project: flag, user: flag, uninstall: flag }, true);
    const [agent, ...extra] = positionals;
    if (agent === undefined || !isAgentName(agent) || extra.length > 0) {
      throw new HitlError("ERR_USAGE", `'hitl hook install' takes one agent: ${AGENTS.join(", ")}. Run 'hitl hook --help'.`);
    }
    if (values.project === true && values.user === true) throw new HitlError("ERR_USAGE", "Give --project or --user, not both.");
    // The command line names this node and this hitl; the entry point is the script node was given.
    const bin = process.argv[1];
    if (bin === undefined) throw new HitlError("ERR_INTERNAL", "Cannot tell where hitl is installed (no script path).");
    const name = AGENT_CONTRACTS[agent].displayName;
    const result = await installHook({
      agent,
      scope: values.project === true ? "project" : "user",
      uninstall: values.uninstall === true,
      projectDir: process.cwd(),
      homeDir: homedir(),
      node: realpathSync(process.execPath),
      bin: realpathSync(bin),
      confirmRemoval: (file) => approveRemoval(name, file, signal),
    });
    const unit = AGENT_CONTRACTS[agent].timeoutUnit === "seconds" ? "s" : "ms";
    const said = {
      installed: `hitl now gates every ${name} tool call (hook timeout ${result.timeout} ${unit}): ${result.file}`,
      updated: `hitl's ${name} hook was updated (hook timeout ${result.timeout} ${unit}): ${result.file}`,
      unchanged:
        values.uninstall === true
          ? `hitl's ${name} hook is not in ${result.file}; nothing to remove.`
          : `hitl's ${name} hook is already in ${result.file}; nothing changed.`,
      removed: `hitl's ${name} hook was removed from ${result.file}; everything else in it is as it was.`,
    }[result.outcome];
    process.stdout.write(`${said}\n`);
    return 0;
  } catch (error) {
    return reportFailure(error, undefined);
  }
}

/**
 * Removing the hook switches hitl off for that agent, and the agent itself may be the one running
 * this command (a blocked agent "fixing" its blocker). So it takes a click in the approval
 * window, like any gated call. Without one (denied, timed out, no host, not paired) nothing is
 * removed, and the message says how a person removes it by hand.
 */
async function approveRemoval(name: string, file: string, signal: AbortSignal | undefined): Promise<void> {
  const { EXIT_CODES, requestApproval } = await import("@hitl/sdk");
  const outcome = await requestApproval({
    action: {
      summary: `Remove hitl's ${name} hook from ${file}`,
      details: { file, effect: `${name} then runs every tool call without asking hitl or its policy.` },
    },
    ...(signal !== undefined && { signal }),
  });
  if (outcome.decision === "approve") return;
  const byHand = `Nothing was removed. To remove it without hitl, edit ${file} yourself and delete the hook whose command ends in "#hitl-hook".`;
  const said = "receipt" in outcome ? `${outcome.approver.sub} denied removing the hook.` : outcome.message;
  throw new ExitError(EXIT_CODES[outcome.decision], outcome.code, `${said} ${byHand}`);
}
