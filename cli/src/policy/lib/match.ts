import type { ToolCall } from "../types.js";
import type { CommandMatch, Match } from "./model.js";
import { anyNameMatches } from "./name-glob.js";
import { type PathContext, pathsMatch } from "./path-match.js";
import type { ShellPart } from "./shell/part.js";

/** The name a rule's "tool" globs see: the agent's tool name, or mcp__<server>__<tool> for an MCP call. */
export function toolName(call: ToolCall): string {
  return call.kind === "mcp" ? `mcp__${call.server}__${call.tool}` : call.agentTool;
}

/** Paths a file call names, resolved against its working directory. */
export interface Subject {
  readonly call: ToolCall;
  /** For a shell call: the one part being judged. */
  readonly part?: ShellPart;
  readonly paths?: readonly string[];
}

/** Every field of `when` holds for this subject. */
export function matches(when: Match, subject: Subject, context: PathContext): boolean {
  const { call, part } = subject;
  if (when.kind !== undefined && !when.kind.includes(call.kind)) return false;
  if (when.tool !== undefined && !anyNameMatches(when.tool, toolName(call))) return false;
  if (when.mcp !== undefined) {
    if (call.kind !== "mcp") return false;
    if (when.mcp.server !== undefined && !anyNameMatches(when.mcp.server, call.server)) return false;
    if (when.mcp.tool !== undefined && !anyNameMatches(when.mcp.tool, call.tool)) return false;
    if (when.mcp.readOnly !== undefined && (call.readOnlyHint === true) !== when.mcp.readOnly) return false;
  }
  if (when.command !== undefined) {
    if (call.kind !== "shell" || part === undefined || !commandMatches(when.command, part)) return false;
  }
  if (when.writes !== undefined) {
    const written = call.kind === "shell" ? part?.writes : call.kind === "file-write" ? subject.paths : undefined;
    if (written === undefined || !pathsMatch(when.writes, written, context)) return false;
  }
  if (when.reads !== undefined) {
    if (call.kind !== "file-read" || subject.paths === undefined || !pathsMatch(when.reads, subject.paths, context)) return false;
  }
  if (when.url !== undefined && (call.kind !== "fetch" || !anyNameMatches(when.url, call.url))) return false;
  return true;
}

/**
 * A command matcher against one part. A word that is not static ($X, xargs input) could be any
 * option or argument, so it satisfies "flags" and "args"; "program" and "subcommand" must be
 * spelled out (a part whose program is not static never gets here: it is asked as unreadable).
 */
export function commandMatches(match: CommandMatch, part: ShellPart): boolean {
  if (part.program === undefined) return false;
  if (match.program !== undefined && !anyNameMatches(match.program, part.program)) return false;
  const { options, positionals, unknown } = splitArguments(part.args);
  if (match.subcommand !== undefined && !positionals.some((word) => anyNameMatches(match.subcommand!, word))) return false;
  if (match.flags !== undefined && !unknown && !match.flags.some((flag) => options.has(flag))) return false;
  if (match.args !== undefined && !unknown && !part.args.some((arg) => arg !== undefined && anyNameMatches(match.args!, arg))) return false;
  if (match.sql === "destructive" && (part.sql === undefined || (part.sql !== "unseen" && !part.sql.some(isDestructiveSql)))) return false;
  if (match.downloadPipedIn === true && !part.downloadPipedIn) return false;
  return true;
}

/**
 * Options normalised: "-rf" gives -r and -f (and the literal "-rf", for find's -delete and
 * terraform's -destroy), "--force=x" gives --force; words after "--" are positional.
 */
export function splitArguments(args: readonly (string | undefined)[]): { options: Set<string>; positionals: string[]; unknown: boolean } {
  const options = new Set<string>();
  const positionals: string[] = [];
  let unknown = false;
  let ended = false;
  for (const arg of args) {
    if (arg === undefined) {
      unknown = true;
      continue;
    }
    if (ended || arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      ended = true;
      continue;
    }
    const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
    options.add(name);
    if (!arg.startsWith("--")) for (const letter of arg.slice(1)) options.add(`-${letter}`);
  }
  return { options, positionals, unknown };
}

/**
 * DROP or TRUNCATE anywhere, or a DELETE/UPDATE statement without WHERE. Comments and string
 * literals are removed first so neither can hide nor fake a keyword.
 */
export function isDestructiveSql(sql: string): boolean {
  const code = sql
    .replace(/--[^\n]*/g, " ")
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/`[^`]*`/g, "``");
  return code.split(";").some((statement) => {
    const s = statement.toUpperCase();
    if (/\b(?:DROP|TRUNCATE)\b/.test(s)) return true;
    if (/\b(?:DELETE|UPDATE)\b/.test(s) && !/\bWHERE\b/.test(s)) return true;
    return false;
  });
}
