/*
 * The hook output contracts of the three agents, as their documentation states them (links in
 * cli/README.md), checked strictly: exact member sets, types and enums, and the exit code that
 * goes with each. Anything else fails the test; what passes is reduced to what the agent does.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type Agent = "claude-code" | "codex" | "gemini";

/** What the agent does with the hook's answer. */
export type AgentReading =
  | { effect: "no-decision" }
  | { effect: "allow"; reason: string | undefined }
  | { effect: "block"; reason: string };

export interface HookRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A fixture under cli/test/fixtures/<agent>/<name>.json: the bytes the agent sends and their parse. */
export function hookFixture(agent: Agent, name: string): { text: string; json: Record<string, unknown> } {
  const text = readFileSync(fileURLToPath(new URL(`../fixtures/${agent}/${name}.json`, import.meta.url)), "utf8");
  return { text, json: JSON.parse(text) as Record<string, unknown> };
}

export function readHookOutput(agent: Agent, run: HookRun): AgentReading {
  switch (agent) {
    case "claude-code":
      return readClaude(run);
    case "codex":
      return readCodex(run);
    case "gemini":
      return readGemini(run);
  }
}

/**
 * Claude Code PreToolUse: exit 0 → stdout parsed as JSON if any; `hookSpecificOutput` with
 * hookEventName "PreToolUse", permissionDecision allow|deny|ask, permissionDecisionReason string.
 * Exit 2 → blocked, stderr is the reason (stdout is not read). Any other exit is a non-blocking
 * error: hitl must never produce one.
 */
function readClaude(run: HookRun): AgentReading {
  if (run.code === 2) {
    const reason = blockingReason(run);
    if (run.stdout !== "") {
      const decision = claudeDecision(run.stdout);
      if (decision.permissionDecision !== "deny") throw new Error(`exit 2 with a non-deny decision on stdout: ${run.stdout}`);
      if (`${decision.permissionDecisionReason}\n` !== run.stderr) throw new Error("the JSON reason and stderr differ");
    }
    return { effect: "block", reason };
  }
  if (run.code !== 0) throw new Error(`Claude Code treats exit ${run.code} as a NON-blocking error: ${run.stderr}`);
  if (run.stdout === "") return { effect: "no-decision" };
  const decision = claudeDecision(run.stdout);
  if (decision.permissionDecision === "deny") return { effect: "block", reason: decision.permissionDecisionReason };
  if (decision.permissionDecision === "allow") return { effect: "allow", reason: decision.permissionDecisionReason };
  throw new Error(`unexpected decision ${decision.permissionDecision}`);
}

function claudeDecision(stdout: string): { permissionDecision: string; permissionDecisionReason: string } {
  const value = oneJsonLine(stdout);
  exactKeys(value, ["hookSpecificOutput"], "output");
  const specific = (value as Record<string, unknown>).hookSpecificOutput;
  exactKeys(specific, ["hookEventName", "permissionDecision", "permissionDecisionReason"], "hookSpecificOutput");
  const { hookEventName, permissionDecision, permissionDecisionReason } = specific as Record<string, unknown>;
  if (hookEventName !== "PreToolUse") throw new Error(`hookEventName ${String(hookEventName)}`);
  if (typeof permissionDecision !== "string" || !["allow", "deny", "ask"].includes(permissionDecision)) {
    throw new Error(`permissionDecision ${String(permissionDecision)}`);
  }
  if (typeof permissionDecisionReason !== "string" || permissionDecisionReason.trim() === "")
    throw new Error("empty permissionDecisionReason");
  return { permissionDecision, permissionDecisionReason };
}

/**
 * Codex CLI PreToolUse: exit 0 with empty stdout → no decision (JSON it cannot parse, "ask" or
 * unknown fields count as a FAILED hook and the call runs); exit 2 with a non-empty stderr →
 * blocked (exit 2 with an empty stderr is a failed hook: the call runs).
 */
function readCodex(run: HookRun): AgentReading {
  if (run.code === 2) {
    if (run.stdout !== "") throw new Error(`Codex: output on stdout with exit 2: ${run.stdout}`);
    return { effect: "block", reason: blockingReason(run) };
  }
  if (run.code !== 0) throw new Error(`Codex treats exit ${run.code} as a failed hook (the call runs): ${run.stderr}`);
  if (run.stdout !== "") throw new Error(`Codex: hitl writes nothing on stdout on exit 0, got ${run.stdout}`);
  return { effect: "no-decision" };
}

/**
 * Gemini CLI BeforeTool: exit 0 → stdout parsed as JSON (`decision` allow|deny|block, `reason`);
 * exit 2 → blocked, stderr is the reason. Other exits are warnings (the call runs).
 */
function readGemini(run: HookRun): AgentReading {
  if (run.code === 2) {
    const reason = blockingReason(run);
    if (run.stdout !== "") {
      const value = oneJsonLine(run.stdout);
      exactKeys(value, ["decision", "reason"], "output");
      const { decision, reason: said } = value as Record<string, unknown>;
      if (decision !== "deny" || `${String(said)}\n` !== run.stderr) throw new Error(`exit 2 with ${run.stdout}`);
    }
    return { effect: "block", reason };
  }
  if (run.code !== 0) throw new Error(`Gemini CLI treats exit ${run.code} as a warning (the call runs): ${run.stderr}`);
  if (run.stdout === "") return { effect: "no-decision" };
  const value = oneJsonLine(run.stdout);
  exactKeys(value, ["decision"], "output");
  if ((value as Record<string, unknown>).decision !== "allow") throw new Error(`exit 0 with ${run.stdout}`);
  return { effect: "allow", reason: undefined };
}

function blockingReason(run: HookRun): string {
  if (!run.stderr.endsWith("\n") || run.stderr.trim() === "")
    throw new Error(`exit 2 needs the reason on stderr, got ${JSON.stringify(run.stderr)}`);
  return run.stderr.slice(0, -1);
}

function oneJsonLine(stdout: string): unknown {
  if (!stdout.endsWith("\n") || stdout.slice(0, -1).includes("\n"))
    throw new Error(`stdout is not one JSON line: ${JSON.stringify(stdout)}`);
  return JSON.parse(stdout);
}

function exactKeys(value: unknown, keys: string[], what: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${what} is not an object`);
  const actual = Object.keys(value).sort();
  if (JSON.stringify(actual) !== JSON.stringify([...keys].sort()))
    throw new Error(`${what} has members ${actual.join(", ")}, expected ${keys.join(", ")}`);
}
