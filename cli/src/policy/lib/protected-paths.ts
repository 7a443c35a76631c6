import { basename, dirname, join, sep } from "node:path";
import { configDir, homeDir } from "./config-dir.js";
import { hasGlob, staticDir } from "./path-match.js";
import { isWithin, realCandidates } from "./project.js";

/*
 * hitl's own configuration and the agents' hook settings. A change to any of them is asked,
 * always, whatever a policy file says: otherwise an agent could switch hitl off (or rewrite the
 * policy) without a human click.
 */

/** The protected places for one environment and policy file; computed again whenever an input differs. */
interface Places {
  readonly home: string | undefined;
  readonly configEnv: string | undefined;
  readonly xdg: string | undefined;
  readonly policyFile: string;
  readonly config: string;
  /** Files and directories at fixed places. */
  readonly fixed: readonly string[];
  /** What text naming a protected file contains. */
  readonly needles: readonly string[];
}

let last: Places | undefined;

/**
 * Keyed on every input the answer depends on (HOME, HITL_CONFIG_DIR, XDG_CONFIG_HOME and the
 * policy file), compared on every call: a changed environment is never served the old places.
 */
function placesOf(env: NodeJS.ProcessEnv, policyFile: string): Places {
  const home = env.HOME;
  const configEnv = env.HITL_CONFIG_DIR;
  const xdg = env.XDG_CONFIG_HOME;
  if (last !== undefined && last.home === home && last.configEnv === configEnv && last.xdg === xdg && last.policyFile === policyFile) {
    return last;
  }
  const homePath = homeDir(env);
  const config = configDir(env);
  last = {
    home,
    configEnv,
    xdg,
    policyFile,
    config,
    fixed: [
      config,
      policyFile,
      join(homePath, ".claude", "settings.json"),
      join(homePath, ".claude", "settings.local.json"),
      join(homePath, ".codex"),
      join(homePath, ".gemini", "settings.json"),
    ],
    needles: [config, policyFile, ".claude/settings", ".codex/", ".gemini/settings"],
  };
  return last;
}

/** Hook settings anywhere (any project): .claude/settings*.json, .codex/**, .gemini/settings.json. */
function isAgentSettings(path: string): boolean {
  const name = basename(path);
  const parent = basename(dirname(path));
  if (parent === ".claude" && /^settings.*\.json$/.test(name)) return true;
  if (parent === ".gemini" && name === "settings.json") return true;
  // The directories themselves: moving or deleting one takes the settings with it.
  if (name === ".claude" || name === ".gemini" || name === ".codex") return true;
  return path.split(sep).includes(".codex");
}

/** The reason given for a write whose path the command does not fix: it could be any of them. */
export const UNKNOWN_PATH_REASON = "it writes to a path that is not fixed in the command, which could be hitl's configuration";

/** Why writing `path` would touch a protected file, or undefined. `undefined` paths (not knowable) are protected. */
export function protectedReason(path: string | undefined, env: NodeJS.ProcessEnv, policyFile: string): string | undefined {
  if (path === undefined) return UNKNOWN_PATH_REASON;
  const { fixed, config } = placesOf(env, policyFile);
  if (hasGlob(path)) {
    // A glob: protected when it could name one of them (checked against where they would be under its directory).
    const dir = staticDir(path);
    const candidates = [
      ...fixed,
      join(dir, ".claude", "settings.json"),
      join(dir, ".claude", "settings.local.json"),
      join(dir, ".gemini", "settings.json"),
      join(dir, ".codex", "config.toml"),
    ];
    const pattern = globToRegExp(path);
    const hit = candidates.find((candidate) => pattern.test(candidate));
    return hit === undefined ? undefined : `${path} could name ${hit}`;
  }
  for (const candidate of realCandidates(path)) {
    if (isWithin(candidate, config)) return `${candidate} is in hitl's configuration directory`;
    const covered = fixed.find((f) => isWithin(f, candidate));
    if (covered !== undefined) return covered === candidate ? `${candidate} is protected` : `${candidate} contains ${covered}`;
    if (isAgentSettings(candidate)) return `${candidate} holds an agent's hook settings`;
  }
  return undefined;
}

/** Text that names a protected file (python -c "open('~/.claude/settings.json','w')" and the like). */
export function mentionsProtected(text: string, env: NodeJS.ProcessEnv, policyFile: string): string | undefined {
  for (const needle of placesOf(env, policyFile).needles) if (text.includes(needle)) return needle;
  return undefined;
}

/** The glob as a prefix pattern: it names a candidate when it names the candidate or a directory above it. */
function globToRegExp(path: string): RegExp {
  let source = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "[" && path.indexOf("]", i + 2) !== -1) {
      // Any one character: a superset of the class, which is the safe side here.
      source += "[^/]";
      i = path.indexOf("]", i + 2);
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}(?:/|$)`);
}
