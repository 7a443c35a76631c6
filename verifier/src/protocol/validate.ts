import { ENCODED_LENGTHS, LIMITS, PAIRING_CODE_PATTERN } from "./constants.js";
import { HitlError } from "./errors.js";
import { utf8Length } from "./jcs.js";
import {
  malformed,
  readBase64url,
  readEnum,
  readInteger,
  readObject,
  readString,
  readTimestamp,
  readUuid,
  readVersion,
} from "./lib/reader.js";
import { parseStrictJson } from "./lib/strict-json.js";
import type {
  Action,
  Challenge,
  DecisionStatement,
  JsonValue,
  PairingRequest,
  PairingResponse,
  PairingStatement,
  Receipt,
  RequesterContext,
} from "./types.js";

/*
 * Strict parsers for every signed document. Each returns a fresh object holding only known
 * fields, so what is later canonicalized, hashed and shown is exactly what was validated.
 * Fields are read (and errors reported) in document order, but every object is BUILT with its
 * members in JCS order, so canonicalize() takes its native fast path on parsed documents.
 */

export function parseJsonValue(value: unknown, path: string, depth = 0): JsonValue {
  return readJsonValue(value, path, depth, { bound: 0, ordered: true });
}

/**
 * An upper bound of the canonical UTF-8 size, summed while parsing, so the exact count (a second
 * serialization) only runs for details that might be over the limit. Per UTF-16 unit a JSON
 * string takes at most 6 bytes (`\u001f`); a number at most 24 characters; literals 5.
 */
interface SizeTally {
  bound: number;
  /** False once an object has an integer-like member name: JS then enumerates it first. */
  ordered: boolean;
}

function readJsonValue(value: unknown, path: string, depth: number, tally: SizeTally): JsonValue {
  if (depth > LIMITS.detailsDepth) malformed(path, `nests deeper than ${LIMITS.detailsDepth} levels`);
  if (value === null || typeof value === "boolean") {
    tally.bound += 5;
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) malformed(path, "must be a finite number");
    tally.bound += 24;
    return value;
  }
  if (typeof value === "string") {
    tally.bound += 6 * value.length + 2;
    return readString(value, path, LIMITS.detailsBytes, "text");
  }
  if (Array.isArray(value)) {
    tally.bound += 2 + value.length;
    return value.map((item, i) => readJsonValue(item, `${path}[${i}]`, depth + 1, tally));
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    tally.bound += 2 + keys.length;
    const parsed: JsonValue[] = [];
    let sorted = true;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      readString(key, `${path} key`, LIMITS.detailsBytes, "text");
      tally.bound += 6 * key.length + 3;
      if (i > 0 && !(keys[i - 1]! < key)) sorted = false;
      if (tally.ordered && ARRAY_INDEX.test(key)) tally.ordered = false;
      const member = record[key];
      if (member === undefined) malformed(`${path}.${key}`, "has no JSON value");
      parsed.push(readJsonValue(member, `${path}.${key}`, depth + 1, tally));
    }
    const order = sorted ? undefined : keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : 1));
    const out: { [key: string]: JsonValue } = {};
    for (let k = 0; k < keys.length; k++) {
      const i = order === undefined ? k : order[k]!;
      const key = keys[i]!;
      // A member named "__proto__" stays a member, as JSON.parse made it (plain assignment would set the prototype).
      if (key === "__proto__") Object.defineProperty(out, key, { value: parsed[i], enumerable: true, writable: true, configurable: true });
      else out[key] = parsed[i]!;
    }
    return out;
  }
  return malformed(path, "is not a JSON value");
}

/** Member names JS objects enumerate before all others, in numeric order (any such name, conservatively). */
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * Filled in by the parsers for the verifier: `stringifyIsCanonical` stays true when
 * JSON.stringify of the parsed document is its JCS form, i.e. every object was built with its
 * members in JCS order and none has a name that JS enumerates out of insertion order. (Strings
 * are already checked well-formed and numbers finite.) Only details can break it.
 */
export interface ParseNotes {
  stringifyIsCanonical: boolean;
}

/** Not blank: String.prototype.trim() and \s remove the same WhiteSpace and LineTerminator set. */
const VISIBLE = /\S/;

function parseAction(value: unknown, path: string, notes: ParseNotes | undefined): Action {
  const record = readObject(value, path, ["summary"], ["details"]);
  const summary = readString(record.summary, `${path}.summary`, LIMITS.summaryBytes, "text");
  if (!VISIBLE.test(summary)) malformed(`${path}.summary`, "must say what will happen (it is blank)");
  if (record.details === undefined) return { summary };
  const tally: SizeTally = { bound: 0, ordered: true };
  const details = readJsonValue(record.details, `${path}.details`, 0, tally);
  if (notes !== undefined && !tally.ordered) notes.stringifyIsCanonical = false;
  // JSON.stringify has exactly the length of the canonical form (same members, escapes and
  // numbers; only the order differs); it runs only when the bound does not already settle it.
  if (tally.bound > LIMITS.detailsBytes && utf8Length(JSON.stringify(details)) > LIMITS.detailsBytes) {
    throw new HitlError(
      "ERR_TOO_LARGE",
      `${path}.details is larger than ${LIMITS.detailsBytes} bytes as canonical JSON; send less detail.`,
    );
  }
  return { details, summary };
}

function parseRequester(value: unknown, path: string): RequesterContext {
  const record = readObject(value, path, ["tool"], ["host", "pid", "cwd"]);
  const tool = readString(record.tool, `${path}.tool`, LIMITS.toolBytes, "line");
  const host = record.host === undefined ? undefined : readString(record.host, `${path}.host`, LIMITS.hostBytes, "line");
  const pid = record.pid === undefined ? undefined : readInteger(record.pid, `${path}.pid`, 0, 2 ** 31 - 1);
  const cwd = record.cwd === undefined ? undefined : readString(record.cwd, `${path}.cwd`, LIMITS.cwdBytes, "text");
  const requester = {} as RequesterContext;
  if (cwd !== undefined) requester.cwd = cwd;
  if (host !== undefined) requester.host = host;
  if (pid !== undefined) requester.pid = pid;
  requester.tool = tool;
  return requester;
}

function checkLifetime(iat: number, exp: number, path: string): void {
  if (exp <= iat) malformed(`${path}.exp`, "must be later than iat");
  if (exp - iat > LIMITS.maxLifetimeSeconds) {
    malformed(`${path}.exp`, `must be at most ${LIMITS.maxLifetimeSeconds} seconds after iat`);
  }
}

export function parseChallenge(value: unknown, path = "challenge", notes?: ParseNotes): Challenge {
  const record = readObject(value, path, ["v", "id", "nonce", "aud", "iat", "exp", "action", "intent", "requester"]);
  const v = readVersion(record.v, `${path}.v`);
  const id = readUuid(record.id, `${path}.id`);
  const nonce = readBase64url(record.nonce, `${path}.nonce`, ENCODED_LENGTHS.nonce);
  const aud = readString(record.aud, `${path}.aud`, LIMITS.audienceBytes, "line");
  const iat = readTimestamp(record.iat, `${path}.iat`);
  const exp = readTimestamp(record.exp, `${path}.exp`);
  const action = parseAction(record.action, `${path}.action`, notes);
  const intent = readBase64url(record.intent, `${path}.intent`, ENCODED_LENGTHS.digest);
  const requester = parseRequester(record.requester, `${path}.requester`);
  checkLifetime(iat, exp, path);
  return { action, aud, exp, iat, id, intent, nonce, requester, v };
}

export function parseDecisionStatement(value: unknown, path = "statement"): DecisionStatement {
  const record = readObject(value, path, ["v", "decision", "challenge", "sub", "kid", "decidedAt"]);
  const v = readVersion(record.v, `${path}.v`);
  const decision = readEnum(record.decision, `${path}.decision`, ["approve", "deny"] as const);
  const challenge = readBase64url(record.challenge, `${path}.challenge`, ENCODED_LENGTHS.digest);
  const sub = readString(record.sub, `${path}.sub`, LIMITS.subjectBytes, "line");
  const kid = readBase64url(record.kid, `${path}.kid`, ENCODED_LENGTHS.keyId);
  const decidedAt = readTimestamp(record.decidedAt, `${path}.decidedAt`);
  return { challenge, decidedAt, decision, kid, sub, v };
}

/** Shape and sizes of a receipt object. Signature and semantics are the verifier's job. */
export function parseReceipt(value: unknown, path = "receipt", notes?: ParseNotes): Receipt {
  const record = readObject(value, path, ["v", "challenge", "statement", "sig", "kid"]);
  const v = readVersion(record.v, `${path}.v`);
  const challenge = parseChallenge(record.challenge, `${path}.challenge`, notes);
  const statement = parseDecisionStatement(record.statement, `${path}.statement`);
  const sig = readBase64url(record.sig, `${path}.sig`, ENCODED_LENGTHS.signature);
  // Equal to the already validated statement.kid: nothing left to check.
  const kid = record.kid === statement.kid ? statement.kid : readBase64url(record.kid, `${path}.kid`, ENCODED_LENGTHS.keyId);
  const receipt: Receipt = { challenge, kid, sig, statement, v };
  if (receipt.kid !== receipt.statement.kid) {
    throw new HitlError(
      "ERR_KEY_ID_MISMATCH",
      `${path}.kid does not match ${path}.statement.kid; the receipt was assembled wrongly or altered.`,
    );
  }
  return receipt;
}

/**
 * Parse receipt JSON text: the whole-document size limit before parsing, then JSON with unique
 * member names (a duplicate could be read differently by another parser), then the shape.
 */
export function parseReceiptJson(text: string, notes?: ParseNotes): Receipt {
  if (text.length > LIMITS.receiptBytes || utf8Length(text) > LIMITS.receiptBytes) {
    throw new HitlError("ERR_TOO_LARGE", `The receipt is larger than ${LIMITS.receiptBytes} bytes; it cannot be a hitl receipt.`);
  }
  return parseReceipt(parseStrictJson(text, "The receipt"), "receipt", notes);
}

export function parsePairingRequest(value: unknown, path = "pairingRequest"): PairingRequest {
  const record = readObject(value, path, ["v", "id", "nonce", "code", "subject", "aud", "iat", "exp", "requester"]);
  const code = record.code;
  if (typeof code !== "string" || !PAIRING_CODE_PATTERN.test(code)) malformed(`${path}.code`, 'must look like "123-456"');
  const v = readVersion(record.v, `${path}.v`);
  const id = readUuid(record.id, `${path}.id`);
  const nonce = readBase64url(record.nonce, `${path}.nonce`, ENCODED_LENGTHS.nonce);
  const subject = readString(record.subject, `${path}.subject`, LIMITS.subjectBytes, "line");
  const aud = readString(record.aud, `${path}.aud`, LIMITS.audienceBytes, "line");
  const iat = readTimestamp(record.iat, `${path}.iat`);
  const exp = readTimestamp(record.exp, `${path}.exp`);
  const requester = parseRequester(record.requester, `${path}.requester`);
  checkLifetime(iat, exp, path);
  return { aud, code, exp, iat, id, nonce, requester, subject, v };
}

export function parsePairingStatement(value: unknown, path = "pairing.statement"): PairingStatement {
  const record = readObject(value, path, ["v", "request", "sub", "kid", "publicKey", "pairedAt", "codeDigest"]);
  const v = readVersion(record.v, `${path}.v`);
  const request = readBase64url(record.request, `${path}.request`, ENCODED_LENGTHS.digest);
  const sub = readString(record.sub, `${path}.sub`, LIMITS.subjectBytes, "line");
  const kid = readBase64url(record.kid, `${path}.kid`, ENCODED_LENGTHS.keyId);
  const publicKey = readBase64url(record.publicKey, `${path}.publicKey`, ENCODED_LENGTHS.publicKey);
  const pairedAt = readTimestamp(record.pairedAt, `${path}.pairedAt`);
  const codeDigest = readBase64url(record.codeDigest, `${path}.codeDigest`, ENCODED_LENGTHS.digest);
  return { codeDigest, kid, pairedAt, publicKey, request, sub, v };
}

export function parsePairingResponse(value: unknown, path = "pairing"): PairingResponse {
  const record = readObject(value, path, ["statement", "sig"]);
  const statement = parsePairingStatement(record.statement, `${path}.statement`);
  const sig = readBase64url(record.sig, `${path}.sig`, ENCODED_LENGTHS.signature);
  return { sig, statement };
}
