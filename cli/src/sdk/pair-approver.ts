import {
  addApprover,
  HitlError,
  LIMITS,
  type PairingRequest,
  type RequesterContext,
  readHostSecret,
  resolvePaths,
  verifyPairing,
} from "@hitl/verifier";
import { createPairingRequest } from "./create-pairing-request.js";
import { askHost, soleMember } from "./lib/ask-host.js";
import { failureOf, type PairingOutcome } from "./lib/outcome.js";
import { resolvePort } from "./lib/resolve-port.js";

export interface PairApproverOptions {
  /** The approver name to propose. Default: the OS user name. */
  subject?: string;
  aud?: string;
  timeoutSeconds?: number;
  requester?: RequesterContext;
  port?: number;
  /** Default: the approvers file under HITL_CONFIG_DIR. */
  approversFile?: string;
  signal?: AbortSignal;
  /** Called with the request before it is sent: show `request.code` to the human now. */
  onRequest?: (request: PairingRequest) => void;
  env?: NodeJS.ProcessEnv;
  clock?: () => number;
}

/**
 * Pair this machine with the browser's key: send a pairing request, check the answer's proof of
 * possession (pairing prefix, key id = thumbprint, digest of *our* request), and only then add
 * the approver to the approvers file (0600, atomic).
 */
export async function pairApprover(options: PairApproverOptions = {}): Promise<PairingOutcome> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? Date.now;
  let request: PairingRequest;
  let port: number;
  let secret: Buffer;
  try {
    port = options.port ?? resolvePort(undefined, env);
    // Before anything is sent: without it no answer could be trusted.
    secret = readHostSecret(resolvePaths(env).hostSecretFile);
    request = createPairingRequest({
      clock,
      ...(options.subject !== undefined && { subject: options.subject }),
      ...(options.aud !== undefined && { aud: options.aud }),
      ...(options.timeoutSeconds !== undefined && { ttlSeconds: options.timeoutSeconds }),
      ...(options.requester !== undefined && { requester: options.requester }),
    });
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return failureOf(error, "local");
  }

  options.onRequest?.(request);
  const answer = await askHost({
    port,
    secret,
    path: "/pair",
    body: { request },
    exp: request.exp,
    what: "pairing",
    maxResponseBytes: LIMITS.receiptBytes,
    clock,
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  if (!answer.ok) return { ...failureOf(answer.error, answer.local ? "local" : "peer"), request };

  const approversFile = options.approversFile ?? resolvePaths(env).approversFile;
  try {
    const approver = await verifyPairing(soleMember(answer.body, "pairing"), request, clock);
    await addApprover(approversFile, approver);
    return { decision: "paired", request, approver, approversFile };
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return { ...failureOf(error, "local"), request };
  }
}
