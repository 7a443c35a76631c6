import { tmpdir } from "node:os";
import { dirname, relative } from "node:path";
import type picomatchType from "picomatch";
import type { PathMatch } from "./model.js";
import { isWithin, projectRoot, realCandidates } from "./project.js";

/** Where a call stands: the project it works in and the home directory (~ in patterns). */
export interface PathContext {
  readonly cwd: string;
  readonly home: string;
}

/** Writes here are not "outside the project": scratch space and the null device. */
const HARMLESS_FILES = new Set(["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"]);

let picomatch: typeof picomatchType | undefined;

/** Loads the glob matcher; decide() calls it first when the policy has path globs (the default has none). */
export async function loadGlob(): Promise<void> {
  picomatch ??= ((await import("picomatch")) as unknown as { default: typeof picomatchType }).default;
}

/** loadGlob() has completed: path globs can be matched synchronously. */
export function globLoaded(): boolean {
  return picomatch !== undefined;
}

function glob(): typeof picomatchType {
  if (picomatch === undefined) throw new Error("path globs were matched before loadGlob()");
  return picomatch;
}

/** Unquoted glob characters left in a path: the shell may turn it into other names. */
export function hasGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/** The directory part of a path before its first glob character. */
export function staticDir(path: string): string {
  const index = path.search(/[*?[]/);
  return index === -1 ? path : dirname(path.slice(0, index + 1));
}

/** Any of `paths` matches (undefined = a path nobody can know, which matches). */
export function pathsMatch(match: PathMatch, paths: readonly (string | undefined)[], context: PathContext): boolean {
  return paths.some((path) => {
    if (path === undefined) return true;
    if (match.outsideProject === true && isOutsideProject(path, context)) return true;
    return match.paths?.some((pattern) => globMatches(pattern, path, context));
  });
}

export function isOutsideProject(path: string, context: PathContext): boolean {
  const root = projectRoot(context.cwd);
  const base = hasGlob(path) ? staticDir(path) : path;
  return realCandidates(base).some((candidate) => {
    if (HARMLESS_FILES.has(candidate) || /^\/dev\/fd\/[0-9]+$/.test(candidate)) return false;
    if (isWithin(candidate, root)) return false;
    return ![tmpdir(), "/tmp", "/var/tmp"].some((dir) => isWithin(candidate, dir));
  });
}

/** A policy path glob: absolute, "~/…", "**\/…" (anywhere) or relative to the project root. */
export function globMatches(pattern: string, path: string, context: PathContext): boolean {
  const test = (p: string, against: string) => glob().isMatch(against, p, { dot: true });
  return realCandidates(path).some((candidate) => {
    if (pattern.startsWith("/")) return test(pattern, candidate);
    if (pattern === "~" || pattern.startsWith("~/")) {
      const rel = relative(context.home, candidate);
      return isWithin(candidate, context.home) && test(pattern === "~" ? "" : pattern.slice(2), rel);
    }
    if (pattern.startsWith("**/")) return test(pattern, candidate.slice(1));
    const root = projectRoot(context.cwd);
    return isWithin(candidate, root) && test(pattern, relative(root, candidate));
  });
}
