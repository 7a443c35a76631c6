import { chmod, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { HitlError, makePrivateDirectory } from "@hitl/verifier";
import { IDENTIFIER_FORBIDDEN_CHARACTERS } from "@hitl/verifier/protocol";
import { defineCommand, EXIT, usageError } from "../lib/command.js";
import { ExitError } from "../lib/exit-error.js";
import { defaultPolicyFile, loadPolicy, type ToolCall } from "../policy/index.js";
import { compiledOf } from "../policy/lib/compiled.js";
import { DEFAULT_POLICY_JSON } from "../policy/lib/default-rules.js";
import { evaluate } from "../policy/lib/evaluate.js";

export const command = defineCommand({
  name: "policy",
  usage: ["check [FILE]", "explain [--tool NAME] [--cwd DIR] [--policy FILE] [--json] -- COMMAND...", "init [--force]"],
  description: `  check      Validate a policy file (default: ${"$"}HITL_POLICY, else ${"$"}HITL_CONFIG_DIR/policy.json);
             a problem is reported as "FILE:LINE: reason".
  explain    Print the decision for one call, the rule that decided and the parts of the command
             that mattered. COMMAND's words are joined with spaces and read as one shell command
             line (quote the whole line to keep its own quoting). --tool names the agent tool
             (default Bash); Write, Edit, MultiEdit and NotebookEdit take COMMAND as the paths
             written, Read, Glob, Grep and LS as the paths read, WebFetch as the URL; for
             mcp__SERVER__TOOL it is the call's arguments as one JSON object (the tool's
             read-only annotation counts as unknown).
  init       Write the built-in default policy to ${"$"}HITL_CONFIG_DIR/policy.json (or ${"$"}HITL_POLICY), to edit.

A missing policy file means the built-in default. A malformed or unreadable one means every
call is asked until it is fixed. Reference: cli/README.md, section "Policy".`,
  options: {
    tool: { type: "string", value: "NAME", help: "explain: the agent tool (default Bash)" },
    cwd: { type: "string", value: "DIR", help: "explain: the working directory of the call (default: this one)" },
    policy: { type: "string", value: "FILE", help: "explain: the policy file to use" },
    json: { type: "boolean", help: "explain: print {decision, rule, reason, parts, ...} on stdout" },
    force: { type: "boolean", help: "init: replace an existing policy file" },
  },
  positionals: true,
  jsonError: { decision: "error" },
  exits: { ok: "valid, explained, written", error: "an invalid policy file (check), or a bad command line" },
  async run({ values, positionals, env }) {
    const [sub, ...rest] = positionals;
    const allowed: Record<string, readonly string[]> = { check: [], explain: ["tool", "cwd", "policy", "json"], init: ["force"] };
    if (sub === undefined || !Object.hasOwn(allowed, sub)) {
      if (sub === undefined) process.stdout.write(command.help());
      throw usageError(
        "policy",
        sub === undefined ? "Say what to do: check, explain or init." : `Unknown policy command '${sub}'; use check, explain or init.`,
      );
    }
    const stray = Object.keys(values).find((flag) => !allowed[sub]!.includes(flag));
    if (stray !== undefined) throw usageError("policy", `--${stray} does not go with 'hitl policy ${sub}'.`);
    if (sub === "check") return check(rest);
    if (sub === "explain") return explain(values, rest, env);
    if (rest.length > 0) throw usageError("policy", "'hitl policy init' takes no arguments.");
    return init(values.force === true, env);
  },
});
export const run = command.run;

async function check(positionals: string[]): Promise<number> {
  if (positionals.length > 1)
    throw new HitlError("ERR_USAGE", `Give at most one policy file, got ${positionals.length}. Run 'hitl policy --help'.`);
  const named = positionals[0];
  const policy = await loadPolicy(named === undefined ? {} : { file: named });
  if (policy.problem !== undefined) {
    const { code, file, line, reason } = policy.problem;
    throw new ExitError(EXIT.error, code as "ERR_POLICY_INVALID", `${file}${line === undefined ? "" : `:${line}`}: ${reason}`);
  }
  const compiled = compiledOf(policy);
  process.stdout.write(
    compiled?.builtin === true
      ? `${policy.file}: no such file; the built-in default policy applies (hitl policy init writes it there to edit).\n`
      : `${policy.file}: valid (${compiled?.document?.rules.length ?? 0} rules).\n`,
  );
  return EXIT.ok;
}

async function explain(
  values: { tool?: string; cwd?: string; policy?: string; json?: boolean },
  positionals: string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (positionals.length === 0)
    throw new HitlError("ERR_USAGE", "Give the command to explain after --, e.g. hitl policy explain -- rm -rf build.");
  if (values.tool === "") throw new HitlError("ERR_USAGE", "--tool must name a tool.");
  const policy = await loadPolicy(values.policy === undefined ? {} : { file: values.policy });
  const call = callFor(values.tool ?? "Bash", positionals, values.cwd ?? process.cwd());
  const { verdict, parts, parser } = await evaluate(policy, call, env);
  if (policy.problem !== undefined) {
    const { code, file, line, reason } = policy.problem;
    process.stderr.write(`hitl: ${code}: ${file}${line === undefined ? "" : `:${line}`}: ${reason}\n`);
  }
  if (values.json === true) {
    process.stdout.write(
      `${JSON.stringify({
        decision: verdict.decision,
        rule: verdict.rule,
        reason: verdict.reason,
        ...(verdict.timeoutSeconds !== undefined && { timeoutSeconds: verdict.timeoutSeconds }),
        ...(verdict.audience !== undefined && { audience: verdict.audience }),
        ...(parser !== undefined && { parser }),
        parts: parts.map(({ part, verdict: v }) => ({
          text: part.text,
          ...(part.program !== undefined && { program: part.program }),
          args: part.args.map((arg) => arg ?? null),
          via: part.via,
          writes: part.writes.map((path) => path ?? null),
          decision: v.decision,
          rule: v.rule,
        })),
      })}\n`,
    );
    return EXIT.ok;
  }
  let out = `${verdict.decision.toUpperCase()} — ${printable(verdict.reason)}\nrule: ${verdict.rule}\n`;
  if (verdict.timeoutSeconds !== undefined) out += `timeout: ${verdict.timeoutSeconds} s\n`;
  if (verdict.audience !== undefined) out += `audience: ${printable(verdict.audience)}\n`;
  if (parts.length > 0) {
    out += `parts (read with ${parser === "fast" ? "the fast lexer" : "tree-sitter-bash"}):\n`;
    for (const { part, verdict: v } of parts) {
      const what = part.program === undefined ? part.text : [part.program, ...part.args.map((arg) => arg ?? "<not fixed>")].join(" ");
      const via = part.via.length > 0 ? `  (inside ${part.via.join(" → ")})` : "";
      out += `  ${v.decision.padEnd(5)}  ${printable(what)}${printable(via)}  [${v.rule}]\n`;
    }
  }
  process.stdout.write(out);
  return EXIT.ok;
}

async function init(force: boolean, env: NodeJS.ProcessEnv): Promise<number> {
  const file = defaultPolicyFile(env);
  await makePrivateDirectory(dirname(file));
  try {
    await writeFile(file, `${JSON.stringify(DEFAULT_POLICY_JSON, null, 2)}\n`, { mode: 0o600, flag: force ? "w" : "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new HitlError("ERR_USAGE", `${file} exists; edit it, or run 'hitl policy init --force' to replace it with the default.`);
    }
    throw new HitlError("ERR_CONFIG", `Cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
  }
  await chmod(file, 0o600);
  process.stdout.write(`Wrote the default policy to ${file}. Check it after editing with: hitl policy check\n`);
  return EXIT.ok;
}

/** The call an agent would make with this tool, for the words given. */
function callFor(tool: string, words: readonly string[], cwd: string): ToolCall {
  if (tool.startsWith("mcp__")) {
    const named = /^mcp__(.+?)__(.+)$/.exec(tool);
    if (named === null) throw new HitlError("ERR_USAGE", `--tool ${tool} is not mcp__SERVER__TOOL.`);
    let args: unknown;
    try {
      args = JSON.parse(words.join(" "));
    } catch {
      args = undefined;
    }
    if (typeof args !== "object" || args === null || Array.isArray(args)) {
      throw new HitlError(
        "ERR_USAGE",
        'For an MCP tool, give the call\'s arguments as one JSON object after --, e.g. -- \'{"path": "a.txt"}\'.',
      );
    }
    return { kind: "mcp", server: named[1]!, tool: named[2]!, arguments: args as Record<string, unknown>, readOnlyHint: undefined, cwd };
  }
  if (["Write", "Edit", "MultiEdit", "NotebookEdit", "write_file", "replace"].includes(tool))
    return { kind: "file-write", agentTool: tool, paths: words, cwd };
  if (["Read", "Glob", "Grep", "LS", "read_file"].includes(tool)) return { kind: "file-read", agentTool: tool, paths: words, cwd };
  if (["WebFetch", "web_fetch"].includes(tool)) return { kind: "fetch", agentTool: tool, url: words.join(" "), cwd };
  return { kind: "shell", agentTool: tool, command: words.join(" "), cwd };
}

/** Control, bidi and invisible characters (the protocol's identifier-forbidden class) shown as \u escapes, so explain output reads as what it is. */
function printable(text: string): string {
  return text.replace(IDENTIFIER_FORBIDDEN_CHARACTERS, (c) => {
    const codePoint = c.codePointAt(0)!;
    return codePoint > 0xffff ? `\\u{${codePoint.toString(16)}}` : `\\u${codePoint.toString(16).padStart(4, "0")}`;
  });
}
