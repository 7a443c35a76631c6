import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { parseApproverRecord, readApproversFile } from "../lib/approvers-file.js";
import { makePrivateDirectory } from "../make-private-directory.js";
import { HitlError } from "../protocol/errors.js";
import type { ApproverRecord, ApproversFile } from "../protocol/types.js";

/*
 * Changes to the approvers file. Each rewrites it atomically: a complete temporary file in the
 * same directory, fsynced, then renamed over the old one, so a crash leaves either the old or the
 * new file, never half of one. Mode 0600 in a directory created 0700. An existing insecure or
 * invalid file is refused (the strict reader), never overwritten.
 */

/**
 * Adds one approver, replacing any entry with the same key: a key is one approver's, so pairing
 * it again (under another --name, or after its name changed) leaves one entry, the new one. The
 * same name may hold several keys (one per browser).
 */
export async function addApprover(path: string, record: ApproverRecord): Promise<void> {
  const approver = parseApproverRecord(record, "approver");
  const dir = dirname(path);
  try {
    await makePrivateDirectory(dir);
  } catch (error) {
    throw unwritable(path, error);
  }
  const existing = await readApproversFile(path);
  const others = (existing?.approvers ?? []).filter((a) => a.kid !== approver.kid);
  const file: ApproversFile = { v: 1, approvers: [...others, approver] };
  await writeAtomically(path, `${JSON.stringify(file, null, 2)}\n`);
}

/** The approvers in the file (checked as the verifier checks them); none when there is no file. */
export async function listApprovers(path: string): Promise<ApproverRecord[]> {
  return (await readApproversFile(path))?.approvers ?? [];
}

/**
 * Removes every entry whose name (sub) or key id (kid) is `nameOrKid`, and returns them; the
 * file is left untouched when none matches.
 */
export async function removeApprovers(path: string, nameOrKid: string): Promise<ApproverRecord[]> {
  const existing = await readApproversFile(path);
  const removed = (existing?.approvers ?? []).filter((a) => a.sub === nameOrKid || a.kid === nameOrKid);
  if (existing === undefined || removed.length === 0) return [];
  const file: ApproversFile = { v: 1, approvers: existing.approvers.filter((a) => !removed.includes(a)) };
  await writeAtomically(path, `${JSON.stringify(file, null, 2)}\n`);
  return removed;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temporary, "wx", 0o600);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw unwritable(path, error);
  }
  await syncDirectory(dirname(path));
}

/** Makes the rename itself durable; best effort (some filesystems refuse to fsync a directory). */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file content is already synced; only the rename's durability is at stake.
  }
}

function unwritable(path: string, error: unknown): HitlError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new HitlError(
    "ERR_CONFIG",
    `Cannot write the approvers file ${path} (${code}). Check the permissions of its directory, or set HITL_CONFIG_DIR.`,
    { cause: error },
  );
}
