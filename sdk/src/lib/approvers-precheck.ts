import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * A quick look at the approvers file, before a challenge is sent, with nothing but node:fs:
 *
 * - "none": the file does not exist (nobody paired on this machine): do not ask.
 * - "usable": a regular file, not world-writable (nor in a world-writable directory without the
 *   sticky bit), JSON with a non-empty `approvers` array. Then the challenge goes out at once and
 *   the verifier loads and checks the file in full (LocalKeyDirectory.open: every record, key id,
 *   weak key) while the human reads the window; if that fails, the request is withdrawn.
 * - "unclear": anything else. The verifier then loads the file in full *before* asking, so its
 *   exact error (insecure, invalid, no approver, ...) is reported and nothing is sent.
 *
 * This is not a validation and never accepts anything on its own: it only decides whether the
 * full check may run in parallel with the question instead of before it.
 */
export type ApproversPrecheck = "none" | "usable" | "unclear";

/** The same bound as the verifier's: a wrong path must not make us read a huge file. */
const MAX_FILE_BYTES = 1024 * 1024;

export function precheckApprovers(path: string): ApproversPrecheck {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "none" : "unclear";
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || (info.mode & 0o002) !== 0 || info.size > MAX_FILE_BYTES) return "unclear";
    const dir = statSync(dirname(path));
    if ((dir.mode & 0o002) !== 0 && (dir.mode & 0o1000) === 0) return "unclear";
    const value = JSON.parse(readFileSync(fd, "utf8")) as { approvers?: unknown } | null;
    const approvers = value?.approvers;
    return Array.isArray(approvers) && approvers.length > 0 ? "usable" : "unclear";
  } catch {
    return "unclear";
  } finally {
    closeSync(fd);
  }
}
