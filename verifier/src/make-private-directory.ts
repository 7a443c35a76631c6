import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/*
 * mkdir -p with mode 0700 for the directories it creates, without Node's `recursive: true`: that
 * loops forever on a path under a pseudo file system that answers ENOENT to mkdir while its parent
 * exists (HITL_STATE_DIR=/proc/nope hung `hitl doctor`, deaf to SIGTERM). Here each missing
 * component is created once, parent first, and the first failure is thrown as it came (an errno
 * error: ENOENT, EACCES, ENOTDIR, EROFS), so callers keep their own error codes and messages.
 */

function notADirectory(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: "ENOTDIR", path, syscall: "mkdir" });
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

function isExisting(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "EEXIST";
}

/**
 * Create `path` and its missing parents (0700); a path that exists as a non-directory is ENOTDIR.
 * Synchronous: a stat and a mkdir per missing component take microseconds, and one implementation
 * serves both the start-up paths that cannot await and the async callers below.
 */
export function makePrivateDirectorySync(path: string): void {
  const missing: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    try {
      if (!statSync(dir).isDirectory()) throw notADirectory(dir);
      break;
    } catch (error) {
      if (!isMissing(error) || dirname(dir) === dir) throw error;
      missing.push(dir);
    }
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if (!isExisting(error)) throw error; // created meanwhile by another process: fine
    }
  }
}

/** The same, for async callers: a failure is a rejection, never a synchronous throw. */
export async function makePrivateDirectory(path: string): Promise<void> {
  makePrivateDirectorySync(path);
}
