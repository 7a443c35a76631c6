import { generateKeyPairSync, randomBytes, randomUUID, sign } from "node:crypto";
import { challengeDigest, intentDigest, keyIdFromPublicKey, pairingRequestDigest } from "@hitl/verifier";
import {
  type Action,
  type Challenge,
  DEFAULT_AUDIENCE,
  type Decision,
  decodeBase64url,
  encodeBase64url,
  type HostToExtension,
  type PairingRequest,
  PROTOCOL_VERSION,
  parseChallenge,
  parseHostToExtension,
  parsePairingRequest,
  parseReceipt,
  type Receipt,
  signingInput,
} from "@hitl/verifier/protocol";

/*
 * Challenges, pairing requests and host messages for the extension's unit tests, made only
 * through the protocol module (its parsers check every fixture, so a fixture cannot drift from
 * the wire format). One file, so it can be pointed at the shared test kit in one place.
 */

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function makeChallenge(options: { summary?: string; lifetimeSeconds?: number; iat?: number } = {}): Challenge {
  const iat = options.iat ?? nowSeconds();
  const action: Action = { summary: options.summary ?? "deploy web to production", details: { service: "web", replicas: 3 } };
  return parseChallenge({
    v: PROTOCOL_VERSION,
    id: randomUUID(),
    nonce: encodeBase64url(randomBytes(32)),
    aud: DEFAULT_AUDIENCE,
    iat,
    exp: iat + (options.lifetimeSeconds ?? 120),
    action,
    intent: intentDigest(action),
    requester: { tool: "unit-test", host: "build-01", pid: 4242 },
  });
}

export function makePairingRequest(options: { subject?: string; lifetimeSeconds?: number; iat?: number } = {}): PairingRequest {
  const iat = options.iat ?? nowSeconds();
  return parsePairingRequest({
    v: PROTOCOL_VERSION,
    id: randomUUID(),
    nonce: encodeBase64url(randomBytes(32)),
    code: "123-456",
    subject: options.subject ?? "alice",
    aud: DEFAULT_AUDIENCE,
    iat,
    exp: iat + (options.lifetimeSeconds ?? 120),
    requester: { tool: "hitl-cli" },
  });
}

/** The digest the worker records for a challenge (and a page sends back as shownDigest). */
export const digestOfChallenge = challengeDigest;
export const digestOfPairingRequest = pairingRequestDigest;

/** Host -> extension messages, checked by the protocol's own parser. */
export const host = {
  hello: (port = 7331, pid = 4242): HostToExtension => parseHostToExtension({ type: "host.hello", hostVersion: "0.1.0", port, pid }),
  signPrepare: (requestId: string): HostToExtension => parseHostToExtension({ type: "sign.prepare", requestId }),
  signRequest: (requestId: string, challenge: Challenge): HostToExtension =>
    parseHostToExtension({ type: "sign.request", requestId, challenge }),
  pairRequest: (requestId: string, request: PairingRequest, keyLifetime?: "persistent" | "session"): HostToExtension =>
    parseHostToExtension({ type: "pair.request", requestId, request, ...(keyLifetime === undefined ? {} : { keyLifetime }) }),
  withdraw: (requestId: string): HostToExtension => parseHostToExtension({ type: "request.withdraw", requestId }),
  status: (requestId: string): HostToExtension => parseHostToExtension({ type: "status.request", requestId }),
  error: (code: "ERR_PORT_IN_USE" | "ERR_INTERNAL", message: string): HostToExtension =>
    parseHostToExtension({ type: "host.error", error: { code, message } }),
};

export const newRequestId = (): string => randomUUID();

/** A receipt signed by a throwaway Ed25519 key (node:crypto), over bytes made by the protocol module. */
export function makeReceipt(challenge: Challenge, decision: Decision = "approve", sub = "alice"): Receipt {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = decodeBase64url(publicKey.export({ format: "jwk" }).x as string);
  const kid = keyIdFromPublicKey(raw);
  const statement = { v: PROTOCOL_VERSION, decision, challenge: challengeDigest(challenge), sub, kid, decidedAt: nowSeconds() };
  const sig = encodeBase64url(sign(null, signingInput("decision", statement), privateKey));
  return parseReceipt({ v: PROTOCOL_VERSION, challenge, statement, sig, kid });
}
