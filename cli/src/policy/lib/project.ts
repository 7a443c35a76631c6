import { realpathSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";

const ROOTS = new Map<string, string>();

/** The project a call happens in: the enclosing git work tree of `cwd`, else `cwd` itself. */
export function projectRoot(cwd: string): string {
  const start = resolve(cwd);
  let root = ROOTS.get(start);
  if (root !== undefined) return root;
  root = start;
  for (let dir = start; ; dir = dirname(dir)) {
    if (statSync(join(dir, ".git"), { throwIfNoEntry: false }) !== undefined) {
      root = dir;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  ROOTS.set(start, root);
  return root;
}

/** `path` is `dir` or inside it. */
export function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

/**
 * The path and, when a symlink leads elsewhere, where it really goes: the nearest existing
 * ancestor is resolved and the rest appended, so a link inside the project cannot smuggle a write out.
 */
export function realCandidates(path: string): string[] {
  let existing = path;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(existing);
      const full = tail.length === 0 ? real : join(real, ...tail.reverse());
      return full === path ? [path] : [path, full];
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return [path];
      tail.push(basename(existing));
      existing = parent;
    }
  }
}
