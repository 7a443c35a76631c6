import { randomUUID } from "node:crypto";
import { challengeDigest, pairingRequestDigest } from "@hitl/verifier";
import {
  type Action,
  type Challenge,
  DEFAULT_AUDIENCE,
  type Decision,
  type HostToExtension,
  type PairingRequest,
  parseChallenge,
  parseHostToExtension,
  parsePairingRequest,
  parseReceipt,
  type Receipt,
} from "@hitl/verifier/protocol";
import * as kit from "@hitl/verifier/testing";

/*
 * Challenges, pairing requests and host messages for the extension's unit tests, made only
 * through the protocol module (its parsers check every fixture, so a fixture cannot drift from
 * the wire format), built by the shared test kit (@hitl/verifier/testing).
 */

export const nowSeconds = kit.nowSeconds;

export function makeChallenge(options: { summary?: string; lifetimeSeconds?: number; iat?: number } = {}): Challenge {
  const iat = options.iat ?? nowSeconds();
  const action: Action = { summary: options.summary ?? "deploy web to production", details: { service: "web", replicas: 3 } };
  return parseChallenge(
    kit.makeChallenge({
      aud: DEFAULT_AUDIENCE,
      iat,
      exp: iat + (options.lifetimeSeconds ?? 120),
      action,
      requester: { tool: "unit-test", host: "build-01", pid: 4242 },
    }),
  );
}

export function makePairingRequest(options: { subject?: string; lifetimeSeconds?: number; iat?: number } = {}): PairingRequest {
  const iat = options.iat ?? nowSeconds();
  return parsePairingRequest(
    kit.makePairingRequest({
      subject: options.subject ?? "alice",
      aud: DEFAULT_AUDIENCE,
      iat,
      exp: iat + (options.lifetimeSeconds ?? 120),
      requester: { tool: "hitl-cli" },
    }),
  );
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
  return parseReceipt(kit.signReceipt(challenge, kit.makeApprover(sub), { decision, decidedAt: nowSeconds() }));
}
