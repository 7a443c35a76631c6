import type KeycloakAdminClient from "@keycloak/keycloak-admin-client";
import { LRUCache } from "lru-cache";
import type { KeyDirectory } from "../contracts.js";
import { HitlError } from "../protocol/errors.js";
import { formatFingerprint } from "../protocol/signing-input.js";
import type { ApproverKey } from "../protocol/types.js";
import { type KeyEntry, parseKeyEntry } from "./lib/key-entry.js";
import { type KeycloakKeyDirectoryOptions, type NormalizedKeycloakOptions, normalizeKeycloakOptions } from "./lib/keycloak-options.js";
import { APPROVER_ROLE, KEYS_ATTRIBUTE, MAX_KEYS_PER_USER } from "./lib/keycloak-realm.js";

/** What Keycloak says about one subject, kept in the caches. Key expiry is judged at each lookup. */
type UserRecord =
  | { kind: "unknown" }
  | { kind: "disabled"; username: string }
  | { kind: "not-approver"; username: string }
  | { kind: "service-account"; username: string }
  | { kind: "invalid"; username: string; error: HitlError }
  | { kind: "approver"; username: string; keys: ReadonlyMap<string, KeyEntry>; fetchedAtMs: number };

/** Keycloak user ids are UUIDs (or `f:<provider>:<id>` for federated users): printable ASCII. */
const USER_ID = /^[\x21-\x7e]{1,255}$/;
/**
 * A cached approver without the receipt's kid is asked for again (a key registered a moment
 * ago must work at once), but at most this often per user, so receipts with made-up kids cannot
 * turn every presentation into Keycloak calls.
 */
const MISSING_KEY_REFRESH_MS = 1000;
/** Refresh the service-account token this long before Keycloak says it expires. */
const TOKEN_MARGIN_MS = 10_000;

/**
 * Approver keys registered in Keycloak (team mode). The receipt's `sub` is the approver's
 * Keycloak user id (the `sub` of their tokens) and its `kid` one of the keys in their
 * `hitl_keys` attribute. A key counts only while: the user exists and is enabled, holds the
 * realm role `hitl-approver` (directly, through a composite or a group), and the key's entry is
 * well-formed, not revoked and not expired. Anything else, and a Keycloak that does not answer
 * within `timeoutMs`, denies with its own code.
 *
 * Reads go through the official admin client with a service account that may view users
 * (`hitl-verifier`, realm-management `view-users` only; the hitl server uses its own
 * `hitl-server`); its token is cached until shortly before it expires. Answers are
 * cached briefly (positive and negative caches, both bounded); concurrent lookups of one subject
 * share one round trip.
 */
export class KeycloakKeyDirectory implements KeyDirectory {
  readonly #options: NormalizedKeycloakOptions;
  readonly #client: KeycloakAdminClient;
  readonly #tokenClient: KeycloakAdminClient;
  readonly #approvers: LRUCache<string, UserRecord> | undefined;
  readonly #refused: LRUCache<string, UserRecord> | undefined;
  readonly #inFlight = new Map<string, Promise<UserRecord>>();
  #token: { value: string; refreshAtMs: number } | undefined;
  #tokenInFlight: Promise<string> | undefined;

  private constructor(options: NormalizedKeycloakOptions, Client: typeof KeycloakAdminClient) {
    this.#options = options;
    const connection = { baseUrl: options.baseUrl, realmName: options.realm, timeout: options.timeoutMs };
    this.#client = new Client(connection);
    this.#tokenClient = new Client(connection);
    this.#client.registerTokenProvider({ getAccessToken: () => this.#accessToken() });
    this.#approvers =
      options.cacheTtlMs > 0 ? new LRUCache<string, UserRecord>({ max: options.cacheMaxEntries, ttl: options.cacheTtlMs }) : undefined;
    this.#refused =
      options.negativeCacheTtlMs > 0
        ? new LRUCache<string, UserRecord>({ max: options.negativeCacheMaxEntries, ttl: options.negativeCacheTtlMs })
        : undefined;
  }

  /** Validates the options; loads the admin client only now, so other start-up paths never pay for it. */
  static async open(options: KeycloakKeyDirectoryOptions): Promise<KeycloakKeyDirectory> {
    const normalized = normalizeKeycloakOptions(options);
    const { default: Client } = await import("@keycloak/keycloak-admin-client");
    return new KeycloakKeyDirectory(normalized, Client);
  }

  async lookup(sub: string, kid: string): Promise<ApproverKey | undefined> {
    let record = await this.#record(sub);
    if (record.kind === "approver" && !record.keys.has(kid) && performance.now() - record.fetchedAtMs >= MISSING_KEY_REFRESH_MS) {
      record = await this.#record(sub, true);
    }
    if (record.kind !== "approver") return undefined;
    const entry = record.keys.get(kid);
    if (entry === undefined || entry.revokedAt !== undefined || this.#expired(entry)) return undefined;
    return { sub, kid, publicKey: Uint8Array.from(entry.publicKey), label: record.username };
  }

  async explainMissing(sub: string, kid: string): Promise<HitlError> {
    return explain(await this.#record(sub), sub, kid, this.#options.clock());
  }

  /** Drop what is cached about a subject (the hitl server calls this after writing its keys). */
  forget(sub: string): void {
    this.#approvers?.delete(sub);
    this.#refused?.delete(sub);
  }

  #expired(entry: KeyEntry): boolean {
    return this.#options.clock() >= entry.expiresAt * 1000;
  }

  #record(sub: string, refresh = false): Promise<UserRecord> {
    if (typeof sub !== "string" || !USER_ID.test(sub)) return Promise.resolve({ kind: "unknown" });
    const cached = refresh ? undefined : (this.#approvers?.get(sub) ?? this.#refused?.get(sub));
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.#inFlight.get(sub);
    if (pending === undefined) {
      pending = this.#withDeadline(this.#fetch(sub)).then((record) => {
        if (record.kind === "approver") {
          this.#refused?.delete(sub);
          this.#approvers?.set(sub, record);
        } else {
          this.#approvers?.delete(sub);
          this.#refused?.set(sub, record);
        }
        return record;
      });
      pending.then(
        () => this.#inFlight.delete(sub),
        () => this.#inFlight.delete(sub),
      );
      this.#inFlight.set(sub, pending);
    }
    return pending;
  }

  async #fetch(sub: string): Promise<UserRecord> {
    const user = await this.#call(() => this.#client.users.findOne({ id: sub }));
    if (user === undefined || user === null) return { kind: "unknown" };
    if (typeof user.username !== "string" || user.id !== sub) {
      throw new HitlError("ERR_KEY_DIRECTORY_UNAVAILABLE", `Keycloak answered with another user than ${sub}; the approval is refused.`);
    }
    const username = user.username;
    if (user.enabled !== true) return { kind: "disabled", username };
    // Approvals are a person's: a client's service account never approves, whatever its roles.
    if (user.serviceAccountClientId !== undefined && user.serviceAccountClientId !== null) return { kind: "service-account", username };
    const roles = await this.#call(() => this.#client.users.listCompositeRealmRoleMappings({ id: sub }));
    if (!Array.isArray(roles) || !roles.some((role) => role.name === APPROVER_ROLE)) return { kind: "not-approver", username };
    try {
      return { kind: "approver", username, keys: parseKeys(user.attributes?.[KEYS_ATTRIBUTE]), fetchedAtMs: performance.now() };
    } catch (error) {
      if (error instanceof HitlError) return { kind: "invalid", username, error };
      throw error;
    }
  }

  /** One admin call; a rejected token (Keycloak restarted, session revoked) is fetched again once. */
  async #call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (statusOf(error) !== 401) throw this.#failure(error);
    }
    this.#token = undefined;
    try {
      return await request();
    } catch (error) {
      throw this.#failure(error);
    }
  }

  async #accessToken(): Promise<string> {
    const token = this.#token;
    if (token !== undefined && Date.now() < token.refreshAtMs) return token.value;
    this.#tokenInFlight ??= this.#fetchToken().finally(() => {
      this.#tokenInFlight = undefined;
    });
    return this.#tokenInFlight;
  }

  async #fetchToken(): Promise<string> {
    const { clientId, clientSecret } = this.#options;
    const issuedAtMs = Date.now();
    try {
      await this.#tokenClient.auth({ grantType: "client_credentials", clientId, clientSecret });
    } catch (error) {
      throw this.#failure(error, true);
    }
    const value = this.#tokenClient.accessToken;
    if (typeof value !== "string" || value.length === 0) {
      throw new HitlError(
        "ERR_KEY_DIRECTORY_UNAVAILABLE",
        "Keycloak's token endpoint answered without an access token; the approval is refused.",
      );
    }
    this.#token = { value, refreshAtMs: refreshAt(value, issuedAtMs) };
    return value;
  }

  #failure(error: unknown, fromTokenEndpoint = false): HitlError {
    if (error instanceof HitlError) return error;
    const where = `Keycloak at ${this.#options.baseUrl} (realm ${this.#options.realm})`;
    const status = statusOf(error);
    if (status === 401 || status === 403 || (fromTokenEndpoint && status === 400)) {
      return new HitlError(
        "ERR_KEYCLOAK_UNAUTHORIZED",
        `${where} refused the "${this.#options.clientId}" service account (HTTP ${status}); the approval is refused. Check the client secret and that its service account has the realm-management role view-users.`,
        { cause: error },
      );
    }
    if (isTimeout(error)) return this.#timeout(error);
    if (status !== undefined) {
      return new HitlError(
        "ERR_KEYCLOAK_UNREACHABLE",
        `${where} answered HTTP ${status}; the approval is refused. Check Keycloak's health and logs.`,
        {
          cause: error,
        },
      );
    }
    return new HitlError(
      "ERR_KEYCLOAK_UNREACHABLE",
      `${where} cannot be reached (${reasonOf(error)}); the approval is refused. Check that Keycloak runs and the URL is right.`,
      {
        cause: error,
      },
    );
  }

  #timeout(cause?: unknown): HitlError {
    return new HitlError(
      "ERR_KEYCLOAK_TIMEOUT",
      `Keycloak at ${this.#options.baseUrl} did not answer within ${this.#options.timeoutMs} ms; the approval is refused. Check Keycloak's load, or raise the timeout.`,
      { cause },
    );
  }

  /** The whole lookup (token, user, roles) within timeoutMs: a slow Keycloak denies, it never hangs a verifier. */
  #withDeadline<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.#timeout()), this.#options.timeoutMs);
    });
    work.catch(() => undefined); // settled after the deadline: its outcome no longer matters
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }
}

/** Strict: not a list, too many values, a malformed value or a repeated kid spoils the whole user (fail closed). */
function parseKeys(values: unknown): ReadonlyMap<string, KeyEntry> {
  const keys = new Map<string, KeyEntry>();
  if (values === undefined) return keys;
  if (!Array.isArray(values) || values.length > MAX_KEYS_PER_USER) {
    throw new HitlError(
      "ERR_KEY_ENTRY_INVALID",
      `The ${KEYS_ATTRIBUTE} attribute is not a list of at most ${MAX_KEYS_PER_USER} keys. Have an admin correct it.`,
    );
  }
  for (const value of values) {
    const entry = parseKeyEntry(value);
    if (keys.has(entry.kid)) {
      throw new HitlError(
        "ERR_KEY_ENTRY_INVALID",
        `The ${KEYS_ATTRIBUTE} attribute lists key ${entry.kid} twice. Have an admin remove one.`,
      );
    }
    keys.set(entry.kid, entry);
  }
  return keys;
}

function explain(record: UserRecord, sub: string, kid: string, nowMs: number): HitlError {
  const fingerprint = formatFingerprint(kid);
  switch (record.kind) {
    case "unknown":
      return new HitlError(
        "ERR_UNKNOWN_APPROVER",
        `No Keycloak user has the id "${sub}"; the receipt does not come from an approver of this realm.`,
      );
    case "disabled":
      return new HitlError(
        "ERR_APPROVER_DISABLED",
        `The Keycloak account "${record.username}" is disabled; its approvals are refused. An admin can enable it again.`,
      );
    case "not-approver":
      return new HitlError(
        "ERR_NOT_AN_APPROVER",
        `The Keycloak account "${record.username}" does not have the realm role ${APPROVER_ROLE}; only its members may approve. Ask an admin to grant it.`,
      );
    case "service-account":
      return new HitlError(
        "ERR_NOT_AN_APPROVER",
        `The Keycloak account "${record.username}" is a client's service account, not a person; it cannot approve, whatever its roles.`,
      );
    case "invalid":
      return record.error;
    case "approver": {
      const entry = record.keys.get(kid);
      if (entry === undefined) {
        return new HitlError(
          "ERR_UNKNOWN_KEY",
          `Key ${fingerprint} is not registered for "${record.username}" (never registered, or removed). Sign in with the extension to register this browser's key.`,
        );
      }
      if (entry.revokedAt !== undefined) {
        return new HitlError(
          "ERR_KEY_REVOKED",
          `Key ${fingerprint} of "${record.username}" was revoked at ${iso(entry.revokedAt)}; its approvals are refused. Register this browser's key again after signing in.`,
        );
      }
      if (nowMs >= entry.expiresAt * 1000) {
        return new HitlError(
          "ERR_KEY_EXPIRED",
          `Key ${fingerprint} of "${record.username}" expired at ${iso(entry.expiresAt)}. Sign in with the extension to register the key again.`,
        );
      }
      // The record changed between lookup and explanation (a cache refresh): say so rather than guess.
      return new HitlError(
        "ERR_KEY_DIRECTORY_UNAVAILABLE",
        `The registration of key ${fingerprint} changed while it was checked; present the receipt again.`,
      );
    }
  }
}

function refreshAt(token: string, issuedAtMs: number): number {
  const exp = expOf(token);
  // Not a JWT we can read: use it for 30 s at most.
  if (exp === undefined) return issuedAtMs + 30_000;
  return Math.max(issuedAtMs, exp * 1000 - TOKEN_MARGIN_MS);
}

/** Only to know when to fetch a new token; Keycloak checks the token, we do not need to. */
function expOf(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const exp: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { response?: { status?: unknown } } | undefined)?.response?.status;
  return typeof status === "number" ? status : undefined;
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === "TimeoutError" || name === "AbortError";
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === "string") return cause.code;
  return error instanceof Error ? error.message : String(error);
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
