import { encodeBase64url, HitlError, type KeyEntry, keycloakRealm, parseKeyEntry } from "@hitl/verifier";

/** A registered key as the API shows it (docs/protocol.md §9, KeyView). */
export interface KeyView {
  kid: string;
  publicKey: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
  state: "active" | "expired" | "revoked";
}

export function keyView(entry: KeyEntry, nowMs: number): KeyView {
  const view: KeyView = {
    kid: entry.kid,
    publicKey: encodeBase64url(entry.publicKey),
    createdAt: entry.createdAt,
    expiresAt: entry.expiresAt,
    state: entry.revokedAt !== undefined ? "revoked" : nowMs >= entry.expiresAt * 1000 ? "expired" : "active",
  };
  if (entry.revokedAt !== undefined) view.revokedAt = entry.revokedAt;
  return view;
}

/** All of a user's entries, strictly: one bad value or a kid twice refuses the whole list (never repaired silently). */
export function parseEntries(values: readonly string[]): KeyEntry[] {
  if (values.length > keycloakRealm.MAX_KEYS_PER_USER) {
    throw new HitlError(
      "ERR_KEY_ENTRY_INVALID",
      `The ${keycloakRealm.KEYS_ATTRIBUTE} attribute holds more than ${keycloakRealm.MAX_KEYS_PER_USER} keys. Have an admin correct it.`,
    );
  }
  const entries = values.map((value) => parseKeyEntry(value));
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.kid)) {
      throw new HitlError(
        "ERR_KEY_ENTRY_INVALID",
        `The ${keycloakRealm.KEYS_ATTRIBUTE} attribute lists key ${entry.kid} twice. Have an admin remove one.`,
      );
    }
    seen.add(entry.kid);
  }
  return entries;
}
