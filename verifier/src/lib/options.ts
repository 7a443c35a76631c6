import type { KeyDirectory, NonceStore, VerifyExpectations, VerifyOptions } from "../contracts.js";
import { HitlError } from "../protocol/errors.js";

/** Explicit option normalization: a misconfigured verifier throws instead of verifying less. */
export interface NormalizedVerifyOptions {
  keys: KeyDirectory;
  nonces: NonceStore | "offline-audit";
  clock: () => number;
  skewSeconds: number;
  threadpool: boolean;
}

export const DEFAULT_SKEW_SECONDS = 30;
/** More skew than this stops being skew and silently extends every approval. */
export const MAX_SKEW_SECONDS = 300;

function usage(message: string): never {
  throw new HitlError("ERR_USAGE", `verifyReceipt: ${message}`);
}

export function normalizeVerifyOptions(options: VerifyOptions): NormalizedVerifyOptions {
  if (typeof options !== "object" || options === null) usage("options { keys, nonces } are required.");
  const { keys, nonces, clock = Date.now, skewSeconds = DEFAULT_SKEW_SECONDS, signatureCheck = "sync" } = options;
  if (typeof keys?.lookup !== "function") usage("options.keys must be a KeyDirectory (e.g. await LocalKeyDirectory.open(file)).");
  if (nonces !== "offline-audit" && typeof nonces?.consume !== "function") {
    usage('options.nonces must be a NonceStore (e.g. await openNonceStore(...)) or "offline-audit" to verify without consuming.');
  }
  if (typeof clock !== "function") usage("options.clock must be a function returning milliseconds since the epoch.");
  if (!Number.isFinite(skewSeconds) || skewSeconds < 0 || skewSeconds > MAX_SKEW_SECONDS) {
    usage(`options.skewSeconds must be between 0 and ${MAX_SKEW_SECONDS}.`);
  }
  if (signatureCheck !== "sync" && signatureCheck !== "threadpool") usage('options.signatureCheck must be "sync" or "threadpool".');
  return { keys, nonces, clock, skewSeconds, threadpool: signatureCheck === "threadpool" };
}

export function checkExpectations(expectations: VerifyExpectations): void {
  if (typeof expectations !== "object" || expectations === null) usage("expectations { aud } are required.");
  if (typeof expectations.aud !== "string" || expectations.aud.length === 0) {
    usage('expectations.aud must be your own audience (the `aud` your challenges carry, e.g. "hitl-cli").');
  }
  if (expectations.intent !== undefined && typeof expectations.intent !== "string")
    usage("expectations.intent must be a base64url digest.");
}
