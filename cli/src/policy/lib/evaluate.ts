import { resolve } from "node:path";
import type { Decision, LoadedPolicy, PolicyVerdict, ToolCall } from "../types.js";
import { type CompiledPolicy, compiledOf } from "./compiled.js";
import { homeDir } from "./config-dir.js";
import { DEFAULT_DOCUMENT } from "./default-rules.js";
import { matches, type Subject } from "./match.js";
import type { PolicyDocument, Rule } from "./model.js";
import { loadGlob, type PathContext } from "./path-match.js";
import { mentionsProtected, protectedReason, UNKNOWN_PATH_REASON } from "./protected-paths.js";
import { analyzeShell } from "./shell/analyze-shell.js";
import type { ShellPart } from "./shell/part.js";

/** What `hitl policy explain` prints: the verdict and, for a shell call, each part with its own verdict. */
export interface Explanation {
  readonly verdict: PolicyVerdict;
  readonly parts: readonly { readonly part: ShellPart; readonly verdict: PolicyVerdict }[];
  readonly parser: "fast" | "tree-sitter" | undefined;
}

const RANK: Record<Decision, number> = { allow: 0, ask: 1, deny: 2 };

/** The stricter of two verdicts (deny > ask > allow); the first on a tie. */
export function stricter(a: PolicyVerdict, b: PolicyVerdict): PolicyVerdict {
  return RANK[b.decision] > RANK[a.decision] ? b : a;
}

export function builtinVerdict(decision: Decision, rule: string, reason: string): PolicyVerdict {
  return { decision, rule, reason, timeoutSeconds: undefined, audience: undefined };
}

export async function evaluate(policy: LoadedPolicy, call: ToolCall, env: NodeJS.ProcessEnv): Promise<Explanation> {
  const compiled = compiledOf(policy);
  if (policy.problem !== undefined) {
    const { file, line, reason } = policy.problem;
    return only(
      builtinVerdict(
        "ask",
        "policy-error",
        `The policy ${file}${line === undefined ? "" : `:${line}`} ${policy.problem.code === "ERR_POLICY_UNREADABLE" ? "" : "is invalid: "}${reason.replace(/\.$/, "")}; every call is asked until it is fixed (run: hitl policy check).`,
      ),
    );
  }
  if (compiled?.document === undefined) {
    return only(builtinVerdict("ask", "policy-error", "This policy was not loaded by loadPolicy(); every call is asked."));
  }
  const shape = callProblem(call);
  if (shape !== undefined) return only(builtinVerdict("ask", "builtin:malformed-call", `The call cannot be judged: ${shape}.`));
  const document = compiled.document;
  const { rules, pathGlobs } = rulesOf(compiled, document);
  if (pathGlobs) await loadGlob();
  const cwd = call.cwd ?? process.cwd();
  const context: PathContext = { cwd, home: homeDir(env) };
  const judge = (subject: Subject): PolicyVerdict => {
    for (const { rule, id } of rules) if (matches(rule.when, subject, context)) return ruleVerdict(rule, id, subject.part);
    return builtinVerdict(
      document.otherwise,
      compiled.builtin ? "builtin:otherwise" : "otherwise",
      `no rule matched; the policy's default is ${document.otherwise}`,
    );
  };

  let verdict: PolicyVerdict;
  let explained: { part: ShellPart; verdict: PolicyVerdict }[] = [];
  let parser: Explanation["parser"];
  if (call.kind === "shell") {
    const analysis = await analyzeShell(call.command, cwd, context.home);
    parser = analysis.parser;
    explained = analysis.parts.map((part) => ({ part, verdict: judgePart(part, call, judge, env, policy.file) }));
    verdict = explained.length === 0 ? judge({ call }) : explained.map((entry) => entry.verdict).reduce((a, b) => stricter(a, b));
  } else {
    const paths = call.kind === "file-write" || call.kind === "file-read" ? call.paths.map((path) => resolve(cwd, path)) : undefined;
    const reasons: (string | undefined)[] = [];
    if (call.kind === "file-write") for (const path of paths ?? []) reasons.push(protectedReason(path, env, policy.file));
    if (call.kind === "mcp") {
      const mentioned = firstProtectedString(call.arguments, env, policy.file);
      if (mentioned !== undefined) reasons.push(`an argument names ${mentioned}`);
    }
    verdict = withProtection(reasons, judge(paths === undefined ? { call } : { call, paths }));
  }
  if (document.secure || isSecure(env)) {
    verdict = stricter(
      verdict,
      builtinVerdict(
        "ask",
        "secure",
        `secure mode (${document.secure ? '"secure": true in the policy' : "HITL_SECURE"}) asks for every call`,
      ),
    );
  }
  return { verdict, parts: explained, parser };
}

function judgePart(
  part: ShellPart,
  call: ToolCall,
  judge: (subject: Subject) => PolicyVerdict,
  env: NodeJS.ProcessEnv,
  policyFile: string,
): PolicyVerdict {
  if (part.unreadable !== undefined) {
    return builtinVerdict("ask", "builtin:unreadable-shell", `hitl cannot tell what this runs (${part.unreadable}): ${clip(part.text)}`);
  }
  const reasons = part.writes.map((path) => protectedReason(path, env, policyFile));
  const mentioned = mentionsProtected(part.args.filter((arg) => arg !== undefined).join("\n"), env, policyFile);
  if (mentioned !== undefined) reasons.push(`the command names ${mentioned}`);
  return withProtection(reasons, judge({ call, part }), part);
}

/**
 * hitl's own files are guarded whatever the rules say: a call touching one is at least "ask",
 * and on a tie this reason is the one reported (it is the one no policy can lift).
 */
function withProtection(reasons: readonly (string | undefined)[], verdict: PolicyVerdict, part?: ShellPart): PolicyVerdict {
  const known = reasons.find((r) => r !== undefined && r !== UNKNOWN_PATH_REASON);
  const reason = known ?? reasons.find((r) => r !== undefined);
  if (reason === undefined || verdict.decision === "deny") return verdict;
  // A path nobody can know is reported only when nothing else asked: the rule's reason says more.
  if (known === undefined && verdict.decision === "ask") return verdict;
  return builtinVerdict(
    "ask",
    "builtin:protect-hitl",
    `it may change hitl's configuration or an agent's hook settings (${reason}) (rule builtin:protect-hitl)${part === undefined ? "" : `: ${clip(part.text)}`}`,
  );
}

function ruleVerdict(rule: Rule, id: string, part: ShellPart | undefined): PolicyVerdict {
  const what = rule.reason ?? `rule ${id} matched`;
  const where = part === undefined ? "" : `: ${clip(part.text)}${part.via.length > 0 ? ` (inside ${part.via.join(" → ")})` : ""}`;
  return {
    decision: rule.decision,
    rule: id,
    reason: `${what} (rule ${id})${where}`,
    timeoutSeconds: rule.timeout,
    audience: rule.audience,
  };
}

interface RuleTable {
  readonly rules: readonly { rule: Rule; id: string }[];
  readonly pathGlobs: boolean;
}

/** Per loaded policy, built once: the rules depend only on its document (never on env or cwd). */
const RULE_TABLES = new WeakMap<CompiledPolicy, RuleTable>();

function rulesOf(compiled: CompiledPolicy, document: PolicyDocument): RuleTable {
  let table = RULE_TABLES.get(compiled);
  if (table === undefined) {
    const rules = ruleList(document, compiled.builtin);
    const pathGlobs = rules.some(({ rule }) => rule.when.writes?.paths !== undefined || rule.when.reads?.paths !== undefined);
    table = { rules, pathGlobs };
    RULE_TABLES.set(compiled, table);
  }
  return table;
}

function ruleList(document: PolicyDocument, builtin: boolean): { rule: Rule; id: string }[] {
  const own = document.rules.map((rule) => ({ rule, id: builtin ? `builtin:${rule.id}` : rule.id }));
  if (builtin || !document.includeDefaultRules) return own;
  return [...own, ...DEFAULT_DOCUMENT.rules.map((rule) => ({ rule, id: `builtin:${rule.id}` }))];
}

/** HITL_SECURE set to anything but "" or "0" turns secure mode on (a typo must not turn it off). */
function isSecure(env: NodeJS.ProcessEnv): boolean {
  const value = env.HITL_SECURE;
  return value !== undefined && value !== "" && value !== "0";
}

function only(verdict: PolicyVerdict): Explanation {
  return { verdict, parts: [], parser: undefined };
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

function callProblem(call: ToolCall): string | undefined {
  if (typeof call !== "object" || call === null) return "it is not an object";
  const isText = (value: unknown) => typeof value === "string";
  switch (call.kind) {
    case "shell":
      return isText(call.command) && isText(call.cwd) && isText(call.agentTool)
        ? undefined
        : "a shell call needs command, cwd and agentTool strings";
    case "file-write":
    case "file-read":
      return Array.isArray(call.paths) && call.paths.every(isText) && isText(call.cwd) && isText(call.agentTool)
        ? undefined
        : "a file call needs paths (strings), cwd and agentTool";
    case "fetch":
      return isText(call.url) && isText(call.cwd) && isText(call.agentTool)
        ? undefined
        : "a fetch call needs url, cwd and agentTool strings";
    case "mcp":
      return isText(call.server) &&
        isText(call.tool) &&
        typeof call.arguments === "object" &&
        call.arguments !== null &&
        (call.cwd === undefined || isText(call.cwd))
        ? undefined
        : "an MCP call needs server and tool strings and an arguments object";
    case "other":
      return isText(call.agentTool) && isText(call.cwd) ? undefined : "a call needs agentTool and cwd strings";
    default:
      return `unknown kind ${JSON.stringify((call as { kind?: unknown }).kind)}`;
  }
}

/** The first string anywhere in an MCP call's arguments that names a protected file (bounded walk). */
function firstProtectedString(value: unknown, env: NodeJS.ProcessEnv, policyFile: string): string | undefined {
  const queue: unknown[] = [value];
  for (let seen = 0; queue.length > 0 && seen < 10_000; seen++) {
    const item = queue.shift();
    if (typeof item === "string") {
      const hit = mentionsProtected(item, env, policyFile);
      if (hit !== undefined) return hit;
    } else if (typeof item === "object" && item !== null) queue.push(...Object.values(item));
  }
  return undefined;
}
