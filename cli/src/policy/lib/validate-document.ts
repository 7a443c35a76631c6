import { forbiddenInIdentifier } from "@hitl/verifier/protocol";
import type { Decision } from "../types.js";
import {
  CALL_KINDS,
  type CallKind,
  type CommandMatch,
  DECISIONS,
  type Match,
  type McpMatch,
  type PathMatch,
  type PolicyDocument,
  type Rule,
} from "./model.js";

/** Where in the document a problem is (JSON pointer segments) and what is wrong. */
export interface DocumentIssue {
  readonly at: readonly (string | number)[];
  readonly reason: string;
}

export class DocumentInvalid extends Error {
  constructor(readonly issue: DocumentIssue) {
    super(issue.reason);
  }
}

/** Same values as LIMITS.maxLifetimeSeconds / LIMITS.audienceBytes (test/policy-schema.test.ts checks). */
export const MAX_TIMEOUT_SECONDS = 3600;
export const MAX_AUDIENCE_BYTES = 256;
export const MAX_RULES = 1000;
const MAX_PATTERNS = 256;
const MAX_PATTERN_LENGTH = 512;
const MAX_REASON_LENGTH = 300;
export const RULE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const TOP_KEYS = ["$schema", "version", "secure", "includeDefaultRules", "otherwise", "rules"];
const RULE_KEYS = ["id", "decision", "reason", "timeout", "audience", "when"];
const WHEN_KEYS = ["kind", "tool", "mcp", "command", "writes", "reads", "url"];
const MCP_KEYS = ["server", "tool", "readOnly"];
const COMMAND_KEYS = ["program", "subcommand", "flags", "args", "sql", "downloadPipedIn"];
const PATH_KEYS = ["outsideProject", "paths"];

/** The kinds of call each matcher can ever apply to: a rule whose fields exclude each other never matches. */
const APPLIES_TO: Record<string, readonly CallKind[]> = {
  mcp: ["mcp"],
  command: ["shell"],
  writes: ["shell", "file-write"],
  reads: ["file-read"],
  url: ["fetch"],
};

/**
 * Strict validation of a parsed policy file, in document order; the first problem is thrown as
 * DocumentInvalid with its location. Unknown keys, wrong types, out-of-range numbers, empty
 * lists, duplicate rule ids and rules that can never match are refused, never ignored.
 */
export function validateDocument(value: unknown): PolicyDocument {
  const top = object(value, [], TOP_KEYS, "The policy");
  if (top.$schema !== undefined) text(top.$schema, ["$schema"], 2048);
  if (top.version !== 1) fail(["version"], `"version" must be 1${top.version === undefined ? " (it is missing)" : ""}.`);
  const secure = top.secure === undefined ? false : boolean(top.secure, ["secure"]);
  const includeDefaultRules = top.includeDefaultRules === undefined ? true : boolean(top.includeDefaultRules, ["includeDefaultRules"]);
  const otherwise = top.otherwise === undefined ? "allow" : decision(top.otherwise, ["otherwise"]);
  if (top.rules === undefined) fail([], `"rules" is missing (use [] for none).`);
  if (!Array.isArray(top.rules)) fail(["rules"], `"rules" must be an array of rules.`);
  const list = top.rules as unknown[];
  if (list.length > MAX_RULES) fail(["rules"], `"rules" has ${list.length} rules; at most ${MAX_RULES} are allowed.`);
  const ids = new Set<string>();
  const rules = list.map((raw, index) => {
    const rule = readRule(raw, ["rules", index]);
    if (ids.has(rule.id)) fail(["rules", index, "id"], `The rule id "${rule.id}" is used twice; ids must be unique.`);
    ids.add(rule.id);
    return rule;
  });
  return { version: 1, secure, includeDefaultRules, otherwise, rules };
}

function readRule(value: unknown, at: (string | number)[]): Rule {
  const rule = object(value, at, RULE_KEYS, "A rule");
  if (rule.id === undefined) fail(at, `The rule has no "id".`);
  const id = text(rule.id, [...at, "id"], 64);
  if (!RULE_ID_PATTERN.test(id)) {
    fail(
      [...at, "id"],
      `The rule id "${id}" must be lower-case letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit).`,
    );
  }
  if (rule.decision === undefined) fail(at, `The rule "${id}" has no "decision" ("allow", "ask" or "deny").`);
  const verdict = decision(rule.decision, [...at, "decision"]);
  const reason = rule.reason === undefined ? undefined : text(rule.reason, [...at, "reason"], MAX_REASON_LENGTH);
  let timeout: number | undefined;
  if (rule.timeout !== undefined) {
    if (typeof rule.timeout !== "number" || !Number.isInteger(rule.timeout) || rule.timeout < 1 || rule.timeout > MAX_TIMEOUT_SECONDS) {
      fail([...at, "timeout"], `"timeout" must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}, got ${show(rule.timeout)}.`);
    }
    timeout = rule.timeout;
  }
  let audience: string | undefined;
  if (rule.audience !== undefined) {
    audience = text(rule.audience, [...at, "audience"], MAX_AUDIENCE_BYTES);
    if (Buffer.byteLength(audience) > MAX_AUDIENCE_BYTES)
      fail([...at, "audience"], `"audience" is longer than ${MAX_AUDIENCE_BYTES} bytes.`);
  }
  if (rule.when === undefined) fail(at, `The rule "${id}" has no "when" (what it matches).`);
  const when = readMatch(rule.when, [...at, "when"]);
  return { id, decision: verdict, reason, timeout, audience, when };
}

function readMatch(value: unknown, at: (string | number)[]): Match {
  const raw = object(value, at, WHEN_KEYS, `"when"`);
  if (Object.keys(raw).length === 0) fail(at, `"when" is empty; name at least one of ${WHEN_KEYS.join(", ")}.`);
  const match: {
    kind?: CallKind[];
    tool?: string[];
    mcp?: McpMatch;
    command?: CommandMatch;
    writes?: PathMatch;
    reads?: PathMatch;
    url?: string[];
  } = {};
  if (raw.kind !== undefined) {
    match.kind = patterns(raw.kind, [...at, "kind"]).map((kind, index) => {
      if (!(CALL_KINDS as readonly string[]).includes(kind)) {
        fail([...at, "kind", ...(Array.isArray(raw.kind) ? [index] : [])], `Unknown kind "${kind}"; use one of ${CALL_KINDS.join(", ")}.`);
      }
      return kind as CallKind;
    });
  }
  if (raw.tool !== undefined) match.tool = patterns(raw.tool, [...at, "tool"]);
  if (raw.mcp !== undefined) match.mcp = readMcp(raw.mcp, [...at, "mcp"]);
  if (raw.command !== undefined) match.command = readCommand(raw.command, [...at, "command"]);
  if (raw.writes !== undefined) match.writes = readPaths(raw.writes, [...at, "writes"]);
  if (raw.reads !== undefined) match.reads = readPaths(raw.reads, [...at, "reads"]);
  if (raw.url !== undefined) match.url = patterns(raw.url, [...at, "url"]);
  // A rule whose fields apply to disjoint kinds of call can never match: refuse it rather than let it sit unused.
  let possible: readonly CallKind[] = match.kind ?? CALL_KINDS;
  for (const field of Object.keys(APPLIES_TO)) {
    if (raw[field] === undefined) continue;
    possible = possible.filter((kind) => APPLIES_TO[field]!.includes(kind));
    if (possible.length === 0) {
      fail(
        at,
        `This rule can never match: "${field}" applies only to ${APPLIES_TO[field]!.join(", ")} calls and another field excludes those.`,
      );
    }
  }
  return match;
}

function readMcp(value: unknown, at: (string | number)[]): McpMatch {
  const raw = object(value, at, MCP_KEYS, `"mcp"`);
  if (Object.keys(raw).length === 0) fail(at, `"mcp" is empty; name at least one of ${MCP_KEYS.join(", ")}.`);
  const mcp: { server?: string[]; tool?: string[]; readOnly?: boolean } = {};
  if (raw.server !== undefined) mcp.server = patterns(raw.server, [...at, "server"]);
  if (raw.tool !== undefined) mcp.tool = patterns(raw.tool, [...at, "tool"]);
  if (raw.readOnly !== undefined) mcp.readOnly = boolean(raw.readOnly, [...at, "readOnly"]);
  return mcp;
}

function readCommand(value: unknown, at: (string | number)[]): CommandMatch {
  const raw = object(value, at, COMMAND_KEYS, `"command"`);
  if (Object.keys(raw).length === 0) fail(at, `"command" is empty; name at least one of ${COMMAND_KEYS.join(", ")}.`);
  const command: {
    program?: string[];
    subcommand?: string[];
    flags?: string[];
    args?: string[];
    sql?: "destructive";
    downloadPipedIn?: boolean;
  } = {};
  if (raw.program !== undefined) {
    command.program = patterns(raw.program, [...at, "program"]);
    command.program.forEach((program, index) => {
      if (program.includes("/")) {
        fail(
          [...at, "program", ...(Array.isArray(raw.program) ? [index] : [])],
          `"program" is matched against the program's basename; "${program}" has a "/".`,
        );
      }
    });
  }
  if (raw.subcommand !== undefined) command.subcommand = patterns(raw.subcommand, [...at, "subcommand"]);
  if (raw.flags !== undefined) {
    command.flags = patterns(raw.flags, [...at, "flags"]);
    command.flags.forEach((flag, index) => {
      if (!/^-{1,2}[A-Za-z0-9?@#][A-Za-z0-9_.-]*$/.test(flag)) {
        fail(
          [...at, "flags", ...(Array.isArray(raw.flags) ? [index] : [])],
          `"${flag}" is not an option name such as "-r" or "--recursive".`,
        );
      }
    });
  }
  if (raw.args !== undefined) command.args = patterns(raw.args, [...at, "args"]);
  if (raw.sql !== undefined) {
    if (raw.sql !== "destructive") fail([...at, "sql"], `"sql" must be "destructive", got ${show(raw.sql)}.`);
    command.sql = "destructive";
  }
  if (raw.downloadPipedIn !== undefined) {
    if (raw.downloadPipedIn !== true)
      fail([...at, "downloadPipedIn"], `"downloadPipedIn" must be true (leave it out otherwise), got ${show(raw.downloadPipedIn)}.`);
    command.downloadPipedIn = true;
  }
  return command;
}

function readPaths(value: unknown, at: (string | number)[]): PathMatch {
  const raw = object(value, at, PATH_KEYS, `"${String(at[at.length - 1])}"`);
  if (Object.keys(raw).length === 0) fail(at, `Name "outsideProject": true or "paths".`);
  const paths: { outsideProject?: boolean; paths?: string[] } = {};
  if (raw.outsideProject !== undefined) {
    if (raw.outsideProject !== true)
      fail([...at, "outsideProject"], `"outsideProject" must be true (leave it out otherwise), got ${show(raw.outsideProject)}.`);
    paths.outsideProject = true;
  }
  if (raw.paths !== undefined) paths.paths = patterns(raw.paths, [...at, "paths"]);
  return paths;
}

function object(value: unknown, at: (string | number)[], keys: readonly string[], what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(at, `${what} must be a JSON object, got ${show(value)}.`);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!keys.includes(key)) fail([...at, key], `Unknown key "${key}" in ${what.toLowerCase()}; allowed: ${keys.join(", ")}.`);
  }
  return record;
}

/** A string or a non-empty array of distinct non-empty strings. */
function patterns(value: unknown, at: (string | number)[]): string[] {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list)) fail(at, `"${String(at[at.length - 1])}" must be a string or an array of strings, got ${show(value)}.`);
  const items = list as unknown[];
  if (items.length === 0) fail(at, `"${String(at[at.length - 1])}" is an empty list; leave it out or name at least one.`);
  if (items.length > MAX_PATTERNS) fail(at, `"${String(at[at.length - 1])}" has more than ${MAX_PATTERNS} entries.`);
  const seen = new Set<string>();
  return items.map((item, index) => {
    const where = typeof value === "string" ? at : [...at, index];
    const pattern = text(item, where, MAX_PATTERN_LENGTH);
    if (seen.has(pattern)) fail(where, `"${pattern}" is listed twice.`);
    seen.add(pattern);
    return pattern;
  });
}

function text(value: unknown, at: (string | number)[], max: number): string {
  if (typeof value !== "string") fail(at, `"${String(at[at.length - 1])}" must be a string, got ${show(value)}.`);
  const string = value as string;
  if (string.length === 0) fail(at, `"${String(at[at.length - 1])}" must not be empty.`);
  if (string.length > max) fail(at, `"${String(at[at.length - 1])}" is longer than ${max} characters.`);
  // Control characters, bidi overrides and invisible characters would make a rule read differently than it matches.
  if (forbiddenInIdentifier(string) !== undefined) {
    fail(at, `"${String(at[at.length - 1])}" contains a control, bidi or invisible character.`);
  }
  return string;
}

function boolean(value: unknown, at: (string | number)[]): boolean {
  if (typeof value !== "boolean") fail(at, `"${String(at[at.length - 1])}" must be true or false, got ${show(value)}.`);
  return value as boolean;
}

function decision(value: unknown, at: (string | number)[]): Decision {
  if (!(DECISIONS as readonly unknown[]).includes(value))
    fail(at, `"${String(at[at.length - 1])}" must be "allow", "ask" or "deny", got ${show(value)}.`);
  return value as Decision;
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const json = JSON.stringify(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

function fail(at: readonly (string | number)[], reason: string): never {
  throw new DocumentInvalid({ at, reason });
}
