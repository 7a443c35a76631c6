import { createHash, createPublicKey, verify as nodeVerify } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ed from "@noble/ed25519";
import type { KeyDirectory } from "../../src/contracts.js";
import { decodeBase64url } from "../../src/protocol/base64url.js";
import type { ApproverKey, ApproverRecord, Challenge, DecisionStatement, Receipt } from "../../src/protocol/types.js";

export interface Vector {
  name: string;
  description: string;
  approver: { sub: string; kid: string; publicKey: string };
  /** When present, the key directory for this vector holds exactly these records (instead of the file's approvers). */
  keyDirectory?: { sub: string; kid: string; publicKey: string }[];
  challenge: Challenge;
  challengeJcs: string;
  challengeDigest: string;
  statement: DecisionStatement;
  statementJcs: string;
  signingInputHex: string;
  signedBytesHex?: string;
  signature: string;
  ed25519: { publicKeyHex: string; signatureHex: string; nodeCryptoRaw: boolean; nobleStrict: boolean };
  receipt?: Receipt;
  receiptJson?: string;
  receiptHex?: string;
  expectations: { aud: string; intent?: string };
  expect: { valid: true; decision: "approve" } | { valid: false; code: string; decision?: "deny" };
}

export interface VectorFile {
  protocol: 1;
  verifyAt: number;
  skewSeconds: number;
  approvers: ApproverRecord[];
  keys: { sub: string; rfc8032: string; secretKeyHex: string; publicKeyHex: string; kid: string }[];
  rfc8032: { name: string; secretKey: string; publicKey: string; message: string; signature: string; publicKeyB64url: string }[];
  vectors: Vector[];
  approversFiles: { name: string; description: string; text: string; expect: { valid: true } | { valid: false; code: string } }[];
}

export const VECTORS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "vectors");
export const VECTOR_FILE = join(VECTORS_DIR, "receipts.json");

export function loadVectors(): VectorFile {
  return JSON.parse(readFileSync(VECTOR_FILE, "utf8")) as VectorFile;
}

/** The receipt input of a vector: the bytes or the JSON text when they are under test, else the object. */
export function receiptInput(vector: Vector): unknown {
  if (vector.receiptHex !== undefined) return new Uint8Array(Buffer.from(vector.receiptHex, "hex"));
  return vector.receiptJson ?? vector.receipt;
}

/**
 * The vector's own key directory (`keyDirectory`: the weak-key vectors): a plain implementation
 * of the KeyDirectory contract that, unlike LocalKeyDirectory, does not refuse weak keys at load,
 * so that verifyReceipt's own weak-key check (after the lookup) is what gets tested.
 */
export function vectorKeyDirectory(records: NonNullable<Vector["keyDirectory"]>): KeyDirectory {
  const keys: ApproverKey[] = records.map((r) => ({ sub: r.sub, kid: r.kid, publicKey: decodeBase64url(r.publicKey) }));
  return { lookup: (sub, kid) => Promise.resolve(keys.find((k) => k.sub === sub && k.kid === kid)) };
}

/** Writes the vector file's approvers as an approvers file (mode 0600) and returns its path. */
export function writeApproversFile(dir: string, file: VectorFile): string {
  const path = join(dir, "approvers.json");
  writeFileSync(path, `${JSON.stringify({ v: 1, approvers: file.approvers }, null, 2)}\n`, { mode: 0o600 });
  return path;
}

ed.hashes.sha512 = (message: Uint8Array) => new Uint8Array(createHash("sha512").update(message).digest());

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));

/** What raw node:crypto and @noble/ed25519 (zip215: false) say of a vector's signature over its signing input. */
export function ed25519Verdicts(vector: { signingInputHex: string; ed25519: { publicKeyHex: string; signatureHex: string } }): {
  nodeCryptoRaw: boolean;
  nobleStrict: boolean;
} {
  const message = fromHex(vector.signingInputHex);
  const signature = fromHex(vector.ed25519.signatureHex);
  const publicKey = fromHex(vector.ed25519.publicKeyHex);
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
  let nobleStrict: boolean;
  try {
    nobleStrict = ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    nobleStrict = false;
  }
  return { nodeCryptoRaw: nodeVerify(null, message, key, signature), nobleStrict };
}
