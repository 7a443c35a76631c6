import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { parseArgs } from "node:util";
import { HitlError } from "@hitl/verifier";
import { withUsageErrors } from "../lib/args.js";
import { printProblem } from "../lib/output.js";
import { installHook } from "./install-hook.js";
import { AGENT_CONTRACTS, AGENTS, isAgentName } from "./lib/agents.js";

/** `hitl hook install <agent> [--project | --user] [--uninstall]`: exit 0 done, 3 refused. */
export async function runInstall(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = withUsageErrors("hook", () =>
      parseArgs({
        args: argv,
        strict: true,
        allowPositionals: true,
        options: { project: { type: "boolean" }, user: { type: "boolean" }, uninstall: { type: "boolean" } },
      }),
    );
    const [agent, ...extra] = positionals;
    if (agent === undefined || !isAgentName(agent) || extra.length > 0) {
      throw new HitlError("ERR_USAGE", `'hitl hook install' takes one agent: ${AGENTS.join(", ")}. Run 'hitl hook --help'.`);
    }
    if (values.project === true && values.user === true) throw new HitlError("ERR_USAGE", "Give --project or --user, not both.");
    // The command line names this node and this hitl; the entry point is the script node was given.
    const bin = process.argv[1];
    if (bin === undefined) throw new HitlError("ERR_INTERNAL", "Cannot tell where hitl is installed (no script path).");
    const result = await installHook({
      agent,
      scope: values.project === true ? "project" : "user",
      uninstall: values.uninstall === true,
      projectDir: process.cwd(),
      homeDir: homedir(),
      node: realpathSync(process.execPath),
      bin: realpathSync(bin),
    });
    const name = AGENT_CONTRACTS[agent].displayName;
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
    if (!(error instanceof HitlError)) throw error;
    printProblem(error.code, error.message);
    return 3;
  }
}
