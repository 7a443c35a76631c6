import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, open, readFile, realpath, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { findDuplicateMemberName, HitlError } from "@hitl/verifier/protocol";
import { isRecord } from "./hook-input.js";

/** A settings file as read: its parsed object (undefined when it does not exist) and mode. */
export interface SettingsFile {
  /** The file written: the target of a symlink (dotfile managers link settings files). */
  path: string;
  value: Record<string, unknown> | undefined;
  text: string | undefined;
  mode: number | undefined;
}

/**
 * Read and parse strictly: a file hitl cannot read exactly as JSON (comments, trailing commas,
 * duplicate names, a non-object) is refused with ERR_AGENT_SETTINGS_INVALID and never rewritten,
 * so a file the agent reads differently is never "fixed" by losing what hitl did not understand.
 */
export async function readSettings(path: string): Promise<SettingsFile> {
  let target = path;
  const link = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw unreadable(path, error);
  });
  if (link === undefined) return { path, value: undefined, text: undefined, mode: undefined };
  if (link.isSymbolicLink()) target = await realpath(path).catch((error: NodeJS.ErrnoException) => Promise.reject(unreadable(path, error)));
  let text: string;
  try {
    text = await readFile(target, "utf8");
  } catch (error) {
    throw unreadable(path, error as NodeJS.ErrnoException);
  }
  const { mode } = await lstat(target);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(path, `is not valid JSON (${(error as Error).message})`);
  }
  const duplicate = findDuplicateMemberName(text);
  if (duplicate !== undefined) throw invalid(path, `repeats the member name ${JSON.stringify(duplicate)} in one object`);
  if (!isRecord(value)) throw invalid(path, "is not a JSON object");
  return { path: target, value, text, mode: mode & 0o7777 };
}

/**
 * Write atomically: a temp file in the same directory (same file system), the same mode as the
 * file it replaces (0600 for a new one), fsync, then rename over it. A reader sees the old file or
 * the new one, never half of one. Formatting: 2-space JSON and a final newline.
 */
export async function writeSettings(file: SettingsFile, value: Record<string, unknown>): Promise<void> {
  const dir = dirname(file.path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(file.path)}.hitl-${randomBytes(6).toString("hex")}.tmp`);
  const mode = file.mode ?? 0o600;
  const handle = await open(temp, "wx", mode);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`, "utf8");
    await handle.sync();
    await handle.close();
    // open() applied the umask; the replaced file's mode is kept exactly.
    await chmod(temp, mode);
    await rename(temp, file.path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

function invalid(path: string, problem: string): HitlError {
  return new HitlError(
    "ERR_AGENT_SETTINGS_INVALID",
    `${path} ${problem}. hitl did not change it. Fix the file (or move it away), then run the command again.`,
  );
}

function unreadable(path: string, error: NodeJS.ErrnoException): HitlError {
  return new HitlError("ERR_AGENT_SETTINGS_INVALID", `${path} cannot be read (${error.code ?? error.message}). hitl did not change it.`);
}

export { invalid as settingsProblem };
