import { constants } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { keyIdFromPublicKey } from "../digests.js";
import { decodeBase64url } from "../protocol/base64url.js";
import { ENCODED_LENGTHS, LIMITS } from "../protocol/constants.js";
import { HitlError } from "../protocol/errors.js";
import { readBase64url, readObject, readString, readTimestamp, readVersion } from "../protocol/lib/reader.js";
import { parseStrictJson } from "../protocol/lib/strict-json.js";
import type { ApproverRecord, ApproversFile } from "../protocol/types.js";
import { weakPublicKeyReason } from "./ed25519-strict.js";

/*
 * The approvers file (docs/protocol.md, "Approvers file"): { v: 1, approvers: [{ sub, kid,
 * publicKey, label?, pairedAt }] }, mode 0600. Whoever can write it can approve anything, so a
 * world-writable file (or one in a world-writable directory without the sticky bit) is refused.
 */

/** Far more than anyone pairs; a bound so a wrong path cannot make us read a huge file. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_APPROVERS = 10_000;

function invalid(path: string, reason: string): never {
  throw new HitlError(
    "ERR_APPROVERS_FILE_INVALID",
    `The approvers file ${path} is invalid: ${reason} Fix or remove it, then run \`hitl pair\`.`,
  );
}

/** Reads and validates the file; undefined when it does not exist (nobody paired yet). */
export async function readApproversFile(path: string): Promise<ApproversFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") invalid(path, "it is a symbolic link; hitl reads only a regular file it can check.");
    throw new HitlError(
      "ERR_KEY_DIRECTORY_UNAVAILABLE",
      `Cannot open the approvers file ${path} (${code ?? String(error)}). Check its permissions.`,
    );
  }
  try {
    // fstat the open descriptor: the checked file is the file read.
    const info = await handle.stat();
    if (!info.isFile()) invalid(path, "it is not a regular file.");
    if ((info.mode & 0o002) !== 0) {
      throw new HitlError(
        "ERR_APPROVERS_FILE_INSECURE",
        `The approvers file ${path} is world-writable, so anyone on this machine could add an approver; it is refused. Run \`chmod 600 ${path}\` and check its contents.`,
      );
    }
    await assertSafeDirectory(path);
    if (info.size > MAX_FILE_BYTES) invalid(path, `it is larger than ${MAX_FILE_BYTES} bytes.`);
    const text = await handle.readFile({ encoding: "utf8" });
    if (text.length > MAX_FILE_BYTES) invalid(path, `it is larger than ${MAX_FILE_BYTES} bytes.`);
    let value: unknown;
    try {
      value = parseStrictJson(text, "it");
    } catch (error) {
      invalid(path, (error as Error).message);
    }
    return parseApproversFile(value, path);
  } finally {
    await handle.close();
  }
}

async function assertSafeDirectory(path: string): Promise<void> {
  const dir = dirname(path);
  const info = await stat(dir);
  if ((info.mode & 0o002) !== 0 && (info.mode & 0o1000) === 0) {
    throw new HitlError(
      "ERR_APPROVERS_FILE_INSECURE",
      `The approvers file ${path} is in the world-writable directory ${dir} (no sticky bit), so anyone could replace it; it is refused. Run \`chmod 700 ${dir}\` or move the file (HITL_CONFIG_DIR).`,
    );
  }
}

/** Validates the parsed file. Every key is checked (thumbprint, weak key) once, here. */
export function parseApproversFile(value: unknown, path: string): ApproversFile {
  try {
    const record = readObject(value, "file", ["v", "approvers"]);
    readVersion(record.v, "file.v");
    if (!Array.isArray(record.approvers)) invalid(path, "file.approvers must be an array.");
    if (record.approvers.length > MAX_APPROVERS) invalid(path, `it lists more than ${MAX_APPROVERS} approvers.`);
    const seen = new Set<string>();
    const approvers = record.approvers.map((entry: unknown, i: number) => {
      const approver = parseApproverRecord(entry, `file.approvers[${i}]`);
      const id = `${approver.sub}\n${approver.kid}`;
      if (seen.has(id)) invalid(path, `approver "${approver.sub}" with key ${approver.kid} is listed twice.`);
      seen.add(id);
      return approver;
    });
    return { v: 1, approvers };
  } catch (error) {
    if (error instanceof HitlError && error.code === "ERR_APPROVERS_FILE_INVALID") throw error;
    // A weak key keeps its own code (it is an attack, not a typo); the whole file is refused.
    if (error instanceof HitlError && error.code === "ERR_WEAK_PUBLIC_KEY") {
      throw new HitlError("ERR_WEAK_PUBLIC_KEY", `The approvers file ${path} is refused: ${error.message}`);
    }
    invalid(path, (error as Error).message);
  }
}

/** One approver entry: shape, sizes, then the key (thumbprint matches, not weak). */
export function parseApproverRecord(value: unknown, path: string): ApproverRecord {
  const record = readObject(value, path, ["sub", "kid", "publicKey", "pairedAt"], ["label"]);
  const approver: ApproverRecord = {
    sub: readString(record.sub, `${path}.sub`, LIMITS.subjectBytes, "line"),
    kid: readBase64url(record.kid, `${path}.kid`, ENCODED_LENGTHS.keyId),
    publicKey: readBase64url(record.publicKey, `${path}.publicKey`, ENCODED_LENGTHS.publicKey),
    pairedAt: readTimestamp(record.pairedAt, `${path}.pairedAt`),
  };
  if (record.label !== undefined) approver.label = readString(record.label, `${path}.label`, LIMITS.labelBytes, "line");
  const publicKey = decodeBase64url(approver.publicKey, `${path}.publicKey`);
  if (keyIdFromPublicKey(publicKey) !== approver.kid) {
    throw new HitlError("ERR_KEY_ID_MISMATCH", `${path}.kid is not the thumbprint of ${path}.publicKey.`);
  }
  const weak = weakPublicKeyReason(publicKey);
  if (weak !== undefined) {
    throw new HitlError(
      "ERR_WEAK_PUBLIC_KEY",
      `${path}.publicKey (approver "${approver.sub}") is a ${weak} Ed25519 key that would accept forged signatures; remove that entry and pair again with \`hitl pair\`.`,
    );
  }
  return approver;
}
