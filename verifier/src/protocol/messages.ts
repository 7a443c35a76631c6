import { ENCODED_LENGTHS, LIMITS } from "./constants.js";
import { HitlError, isErrorCode } from "./errors.js";
import { malformed, readBase64url, readEnum, readInteger, readObject, readString, readTimestamp, readUuid } from "./lib/reader.js";
import type { Challenge, PairingRequest, PairingResponse, Receipt, WireError } from "./types.js";
import { parseChallenge, parsePairingRequest, parsePairingResponse, parseReceipt } from "./validate.js";

/*
 * Every parser builds its objects with their members in JCS order, like the signed documents'
 * (test/canonical-order.test.ts).
 *
 * Messages between the signing host and the extension (native messaging: 4-byte little-endian
 * length, then UTF-8 JSON), and the bodies of the host's HTTP API. Discriminated by `type`.
 * Request ids are assigned by the host (UUID v4); the extension never trusts a challenge it did
 * not receive through its own native port.
 */

/**
 * How long the extension keeps the key it pairs. `persistent`: stored in the browser profile,
 * kept across browser restarts (and readable from disk by the same OS user). `session`: held only
 * in memory, never written to disk, gone when the browser quits.
 */
export type KeyPolicy = "persistent" | "session";

export const KEY_POLICIES = ["persistent", "session"] as const satisfies readonly KeyPolicy[];

export interface ExtensionStatus {
  keyPresent: boolean;
  kid?: string;
  subject?: string;
  keyPolicy: KeyPolicy;
  /** Approval or pairing windows currently open. */
  pending: number;
}

/**
 * One key registered for the signed-in approver, as the team window shows it and `hitl keys list`
 * prints it: public facts only, never a token.
 */
export interface TeamKeyEntry {
  kid: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
  /** The key this browser profile signs with. */
  thisBrowser: boolean;
}

/** A user has one key per browser profile; more than this is not a plausible answer. */
export const MAX_TEAM_KEYS = 64;

export type HostToExtension =
  /** First message after the host started listening: handshake. */
  | { type: "host.hello"; hostVersion: string; port: number; pid: number }
  /** The host cannot serve (e.g. port taken) and is about to exit. */
  | { type: "host.error"; error: WireError }
  /**
   * A POST /sign has arrived and its body is still on the way: the extension may open the
   * approval window now, empty and with nothing to decide, so the browser builds the window while
   * the challenge travels. The sign.request that follows carries the same requestId; if none
   * follows, request.withdraw does.
   */
  | { type: "sign.prepare"; requestId: string }
  | { type: "sign.request"; requestId: string; challenge: Challenge }
  /**
   * `keyLifetime` travels beside the signed pairing request, not inside it: it is the terminal's
   * wish for the key the extension will pair (default persistent), shown in the pairing window.
   */
  | { type: "pair.request"; requestId: string; request: PairingRequest; keyLifetime?: KeyPolicy }
  /** The HTTP client went away or gave up: close the window, sign nothing. */
  | { type: "request.withdraw"; requestId: string }
  | { type: "status.request"; requestId: string }
  /** `hitl keys list`: the team window shows the human's registered keys; the public list comes back. */
  | { type: "keys.list"; requestId: string }
  /** `hitl keys revoke KID`: the team window asks the human to confirm this exact kid, then revokes it. */
  | { type: "keys.revoke"; requestId: string; kid: string };

export type ExtensionToHost =
  | { type: "extension.hello"; extensionVersion: string; browser: string; status: ExtensionStatus }
  /** A signed decision: approve or deny. */
  | { type: "sign.result"; requestId: string; receipt: Receipt }
  | { type: "pair.result"; requestId: string; pairing: PairingResponse }
  /** No signed decision: expired (ERR_TIMEOUT), no key (ERR_NO_KEY), pairing refused, ... */
  | { type: "request.error"; requestId: string; error: WireError }
  | { type: "status.result"; requestId: string; status: ExtensionStatus }
  /** Unsolicited: the key or identity changed. */
  | { type: "status.update"; status: ExtensionStatus }
  | { type: "keys.list.result"; requestId: string; keys: TeamKeyEntry[] }
  /** The human confirmed and the hitl server revoked `kid`. */
  | { type: "keys.revoke.result"; requestId: string; kid: string };

export function parseTeamKeyEntry(value: unknown, path: string): TeamKeyEntry {
  const r = readObject(value, path, ["kid", "createdAt", "expiresAt", "thisBrowser"], ["revokedAt"]);
  if (typeof r.thisBrowser !== "boolean") malformed(`${path}.thisBrowser`, "must be a boolean");
  const kid = readBase64url(r.kid, `${path}.kid`, ENCODED_LENGTHS.keyId);
  const createdAt = readTimestamp(r.createdAt, `${path}.createdAt`);
  const expiresAt = readTimestamp(r.expiresAt, `${path}.expiresAt`);
  const revokedAt = r.revokedAt === undefined ? {} : { revokedAt: readTimestamp(r.revokedAt, `${path}.revokedAt`) };
  return { createdAt, expiresAt, kid, ...revokedAt, thisBrowser: r.thisBrowser };
}

export function parseTeamKeyList(value: unknown, path: string): TeamKeyEntry[] {
  if (!Array.isArray(value)) malformed(path, "must be an array");
  const list = value as unknown[];
  if (list.length > MAX_TEAM_KEYS) malformed(path, `has more than ${MAX_TEAM_KEYS} keys`);
  return list.map((entry, i) => parseTeamKeyEntry(entry, `${path}[${i}]`));
}

export function parseWireError(value: unknown, path: string): WireError {
  const record = readObject(value, path, ["code", "message"]);
  if (!isErrorCode(record.code)) malformed(`${path}.code`, "is not a known hitl error code");
  return { code: record.code, message: readString(record.message, `${path}.message`, 2048, "text") };
}

const STATUS_FIELDS = ["keyPresent", "keyPolicy", "pending", "kid", "subject"] as const;

export function parseExtensionStatus(value: unknown, path: string): ExtensionStatus {
  const record = readObject(value, path, STATUS_FIELDS.slice(0, 3), STATUS_FIELDS.slice(3));
  if (typeof record.keyPresent !== "boolean") malformed(`${path}.keyPresent`, "must be a boolean");
  const keyPolicy = readEnum(record.keyPolicy, `${path}.keyPolicy`, KEY_POLICIES);
  const pending = readInteger(record.pending, `${path}.pending`, 0, 10_000);
  const kid = record.kid === undefined ? {} : { kid: readString(record.kid, `${path}.kid`, 64, "line") };
  const subject =
    record.subject === undefined ? {} : { subject: readString(record.subject, `${path}.subject`, LIMITS.subjectBytes, "line") };
  return { keyPolicy, keyPresent: record.keyPresent, ...kid, pending, ...subject };
}

export function parseHostToExtension(value: unknown): HostToExtension {
  const type = (value as { type?: unknown } | null)?.type;
  const p = "message";
  switch (type) {
    case "host.hello": {
      const r = readObject(value, p, ["type", "hostVersion", "port", "pid"]);
      const hostVersion = readString(r.hostVersion, `${p}.hostVersion`, 64, "line");
      const port = readInteger(r.port, `${p}.port`, 1, 65535);
      const pid = readInteger(r.pid, `${p}.pid`, 0, 2 ** 31 - 1);
      return { hostVersion, pid, port, type };
    }
    case "host.error": {
      const r = readObject(value, p, ["type", "error"]);
      return { error: parseWireError(r.error, `${p}.error`), type };
    }
    case "sign.request": {
      const r = readObject(value, p, ["type", "requestId", "challenge"]);
      const requestId = readUuid(r.requestId, `${p}.requestId`);
      return { challenge: parseChallenge(r.challenge, `${p}.challenge`), requestId, type };
    }
    case "pair.request": {
      const r = readObject(value, p, ["type", "requestId", "request"], ["keyLifetime"]);
      const requestId = readUuid(r.requestId, `${p}.requestId`);
      const request = parsePairingRequest(r.request, `${p}.request`);
      const keyLifetime = r.keyLifetime === undefined ? {} : { keyLifetime: readEnum(r.keyLifetime, `${p}.keyLifetime`, KEY_POLICIES) };
      return { ...keyLifetime, request, requestId, type };
    }
    case "keys.revoke": {
      const r = readObject(value, p, ["type", "requestId", "kid"]);
      const requestId = readUuid(r.requestId, `${p}.requestId`);
      return { kid: readBase64url(r.kid, `${p}.kid`, ENCODED_LENGTHS.keyId), requestId, type };
    }
    case "keys.list":
    case "sign.prepare":
    case "request.withdraw":
    case "status.request": {
      const r = readObject(value, p, ["type", "requestId"]);
      return { requestId: readUuid(r.requestId, `${p}.requestId`), type };
    }
    default:
      throw new HitlError("ERR_PROTOCOL", `Unknown host message type ${JSON.stringify(type)}.`);
  }
}

export function parseExtensionToHost(value: unknown): ExtensionToHost {
  const type = (value as { type?: unknown } | null)?.type;
  const p = "message";
  switch (type) {
    case "extension.hello": {
      const r = readObject(value, p, ["type", "extensionVersion", "browser", "status"]);
      const extensionVersion = readString(r.extensionVersion, `${p}.extensionVersion`, 64, "line");
      const browser = readString(r.browser, `${p}.browser`, 64, "line");
      return { browser, extensionVersion, status: parseExtensionStatus(r.status, `${p}.status`), type };
    }
    case "sign.result": {
      const r = readObject(value, p, ["type", "requestId", "receipt"]);
      const requestId = readUuid(r.requestId, `${p}.requestId`);
      return { receipt: parseReceipt(r.receipt, `${p}.receipt`), requestId, type };
    }
    case "pair.result": {
      const r = readObject(value, p, ["type", "requestId", "pairing"]);
      const requestId = readUuid(r.requestId, `${p}.requestId`);
      return { pairing: parsePairingResponse(r.pairing, `${p}.pairing`), requestId, type };
    }
    case "request.error": {
      const r = readObject(value, p, ["type", "requestId", "error"]);
      const requestId = readUuid(r.requestId, `${p}.requestId`);
      return { error: parseWireError(r.error, `${p}.error`), requestId, type };
    }
    case "status.result": {
      const r = readObject(value, p, ["type", "requestId", "status"]);
      return { requestId: readUuid(r.requestId, `${p}.requestId`), status: parseExtensionStatus(r.status, `${p}.status`), type };
    }
    case "status.update": {
      const r = readObject(value, p, ["type", "status"]);
      return { status: parseExtensionStatus(r.status, `${p}.status`), type };
    }
    case "keys.list.result": {
      const r = readObject(value, p, ["type", "requestId", "keys"]);
      const requestId = readUuid(r.requestId, `${p}.requestId`);
      return { keys: parseTeamKeyList(r.keys, `${p}.keys`), requestId, type };
    }
    case "keys.revoke.result": {
      const r = readObject(value, p, ["type", "requestId", "kid"]);
      const requestId = readUuid(r.requestId, `${p}.requestId`);
      return { kid: readBase64url(r.kid, `${p}.kid`, ENCODED_LENGTHS.keyId), requestId, type };
    }
    default:
      throw new HitlError("ERR_PROTOCOL", `Unknown extension message type ${JSON.stringify(type)}.`);
  }
}

/* ---- HTTP API of the signing host (127.0.0.1 only) ---- */

/** POST /sign. 200 -> SignResponse (approve or signed deny); errors -> ErrorResponse. */
export interface SignRequestBody {
  challenge: Challenge;
}
export interface SignResponseBody {
  receipt: Receipt;
}
/** POST /pair. 200 -> PairResponse. `keyLifetime` is not signed; see the pair.request message. */
export interface PairRequestBody {
  request: PairingRequest;
  keyLifetime?: KeyPolicy;
}
export interface PairResponseBody {
  pairing: PairingResponse;
}
/** POST /keys/list `{}` (team mode, `hitl keys list`). 200 -> the public list, as the team window got it. */
export interface KeysListResponseBody {
  keys: TeamKeyEntry[];
}
/** POST /keys/revoke `{kid}` (team mode, `hitl keys revoke`). 200 once the human confirmed and the server revoked it. */
export interface KeysRevokeRequestBody {
  kid: string;
}
export interface KeysRevokeResponseBody {
  kid: string;
}
export interface ErrorResponseBody {
  error: WireError;
}
/** GET /health: the true state, never cached. */
export interface HealthResponseBody {
  host: { version: string; pid: number; port: number };
  extension: { connected: false } | ({ connected: true; extensionVersion: string; browser: string } & ExtensionStatus);
}

export function parseSignRequestBody(value: unknown): SignRequestBody {
  const r = readObject(value, "body", ["challenge"]);
  return { challenge: parseChallenge(r.challenge, "body.challenge") };
}

export function parsePairRequestBody(value: unknown): PairRequestBody {
  const r = readObject(value, "body", ["request"], ["keyLifetime"]);
  const request = parsePairingRequest(r.request, "body.request");
  const keyLifetime = r.keyLifetime === undefined ? {} : { keyLifetime: readEnum(r.keyLifetime, "body.keyLifetime", KEY_POLICIES) };
  return { ...keyLifetime, request };
}

/** POST /keys/list carries an empty object: nothing a caller sends can shape what the window shows. */
export function parseKeysListRequestBody(value: unknown): Record<string, never> {
  readObject(value, "body", []);
  return {};
}

export function parseKeysRevokeRequestBody(value: unknown): KeysRevokeRequestBody {
  const r = readObject(value, "body", ["kid"]);
  return { kid: readBase64url(r.kid, "body.kid", ENCODED_LENGTHS.keyId) };
}

export function parseKeysListResponseBody(value: unknown): KeysListResponseBody {
  const r = readObject(value, "body", ["keys"]);
  return { keys: parseTeamKeyList(r.keys, "body.keys") };
}

export function parseKeysRevokeResponseBody(value: unknown): KeysRevokeResponseBody {
  const r = readObject(value, "body", ["kid"]);
  return { kid: readBase64url(r.kid, "body.kid", ENCODED_LENGTHS.keyId) };
}

/** GET /health's answer, as the SDK and `hitl doctor` read it. */
export function parseHealthResponseBody(value: unknown): HealthResponseBody {
  const r = readObject(value, "health", ["host", "extension"]);
  const h = readObject(r.host, "health.host", ["version", "pid", "port"]);
  const version = readString(h.version, "health.host.version", 64, "line");
  const pid = readInteger(h.pid, "health.host.pid", 0, 2 ** 31 - 1);
  const port = readInteger(h.port, "health.host.port", 1, 65535);
  const host = { pid, port, version };
  const connected = (r.extension as { connected?: unknown } | null)?.connected;
  if (connected === false) {
    readObject(r.extension, "health.extension", ["connected"]);
    return { extension: { connected }, host };
  }
  const e = readObject(r.extension, "health.extension", ["connected", "extensionVersion", "browser"], STATUS_FIELDS);
  if (connected !== true) malformed("health.extension.connected", "must be a boolean");
  const { connected: _, extensionVersion, browser, ...status } = e;
  const extension = {
    browser: readString(browser, "health.extension.browser", 64, "line"),
    connected,
    extensionVersion: readString(extensionVersion, "health.extension.extensionVersion", 64, "line"),
    ...parseExtensionStatus(status, "health.extension"),
  };
  return { extension, host };
}
