export { confirmPairingCode } from "./confirm-pairing-code.js";
export type { KeyDirectory, NonceStore, VerifiedApproval, VerifyExpectations, VerifyOptions } from "./contracts.js";
export * from "./digests.js";
export { createHostSecret } from "./host-auth/create-host-secret.js";
export type { HostAnswerFields } from "./host-auth/lib/proof-input.js";
export { newClientNonce } from "./host-auth/new-client-nonce.js";
export { proveHostAnswer } from "./host-auth/prove-host-answer.js";
export { readHostSecret } from "./host-auth/read-host-secret.js";
export { verifyHostAnswer } from "./host-auth/verify-host-answer.js";
export { addApprover, listApprovers, removeApprovers } from "./keys/approvers-store.js";
export { KeycloakKeyDirectory } from "./keys/keycloak-key-directory.js";
export { formatKeyEntry, KEY_ENTRY_PATTERN, type KeyEntry, parseKeyEntry } from "./keys/lib/key-entry.js";
export type { KeycloakKeyDirectoryOptions } from "./keys/lib/keycloak-options.js";
export * as keycloakRealm from "./keys/lib/keycloak-realm.js";
export { LocalKeyDirectory } from "./keys/local-key-directory.js";
export {
  assertCanonicalSignature,
  assertStrongPublicKey,
  importPublicKey,
  isCanonicalScalar,
  type StrictPublicKey,
  verifyStrict,
  verifyStrictAsync,
  type WeakKeyReason,
  weakPublicKeyReason,
} from "./lib/ed25519-strict.js";
export { DEFAULT_SKEW_SECONDS } from "./lib/options.js";
export { makePrivateDirectory, makePrivateDirectorySync } from "./make-private-directory.js";
export { FileNonceStore, type FileNonceStoreOptions } from "./nonces/file-nonce-store.js";
export { type OpenNonceStoreOptions, openNonceStore } from "./nonces/open-nonce-store.js";
export { type RedisDurability, RedisNonceStore, type RedisNonceStoreOptions } from "./nonces/redis-nonce-store.js";
export * from "./paths.js";
// The protocol's vocabulary (documents, limits, errors). Its parsers, JCS and character rules are
// the protocol module's own API: "@hitl/verifier/protocol".
export * from "./protocol/base64url.js";
export * from "./protocol/constants.js";
export * from "./protocol/errors.js";
export { KEY_REGISTRATION } from "./protocol/key-registration.js";
export {
  type ErrorResponseBody,
  type ExtensionStatus,
  type ExtensionToHost,
  type HealthResponseBody,
  type HostToExtension,
  KEY_POLICIES,
  type KeyPolicy,
  type KeysListResponseBody,
  type KeysRevokeRequestBody,
  type KeysRevokeResponseBody,
  MAX_TEAM_KEYS,
  type PairRequestBody,
  type PairResponseBody,
  type SignRequestBody,
  type SignResponseBody,
  type TeamKeyEntry,
} from "./protocol/messages.js";
export { formatFingerprint } from "./protocol/signing-input.js";
export type * from "./protocol/types.js";
export { type PairingAwaitingCode, verifyPairing } from "./verify-pairing.js";
export { verifyReceipt } from "./verify-receipt.js";
