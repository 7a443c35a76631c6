/**
 * The names the code relies on in the `hitl` Keycloak realm (oauth/realm-hitl.json). One place,
 * so that the realm-agreement test can hold the realm export and the code to the same names.
 */
export const KEYCLOAK_REALM = "hitl";
/** Public client of the browser extension (Authorization Code + PKCE S256). */
export const EXTENSION_CLIENT_ID = "hitl-extension";
/** Confidential client of the hitl server; its service account reads and writes keys. */
export const SERVER_CLIENT_ID = "hitl-server";
/** Read-only confidential client for verifiers (realm-management view-users only). */
export const VERIFIER_CLIENT_ID = "hitl-verifier";
/** Realm role a service needs (in its client-credentials token) to call the hitl server's POST /v1/verify. */
export const VERIFY_ROLE = "hitl-verify";
/** Only members of this realm role may approve. */
export const APPROVER_ROLE = "hitl-approver";
/** Declarative user-profile attribute holding the user's registered keys (admin-edit only). */
export const KEYS_ATTRIBUTE = "hitl_keys";
/** At most this many keys per user (the realm's `multivalued` validator says the same). */
export const MAX_KEYS_PER_USER = 20;
/** Redirect URIs of the extension: Chromium's identity API and Firefox's (SHA-1 of the add-on id). */
export const EXTENSION_REDIRECT_URIS = [
  "https://gdikjmbmddjjemjnooacmbhlponkepgb.chromiumapp.org/*",
  "https://f0c65f4059c556d8fbb8f3a169c1a6c806fd43fb.extensions.allizom.org/*",
] as const;
