import { pairingRequestDigest } from "@hitl/verifier";
import { HitlError, type PairResponseBody, parsePairRequestBody } from "@hitl/verifier/protocol";
import type { FastifyInstance } from "fastify";
import { signalOnClientGone } from "../lib/client-gone.js";
import { msUntilExpiry, type RouteContext } from "../lib/route-context.js";

/**
 * POST /pair {request, keyLifetime?} -> 200 {pairing}. `keyLifetime` (persistent | session) is
 * passed on to the extension beside the request; the host does not interpret it. Same life cycle as /sign: open until the human pairs,
 * refuses or the request expires; a client that goes away withdraws it. The CLI verifies the
 * proof of possession; the host only checks the answer is for the request it sent.
 */
export function registerPairRoute(app: FastifyInstance, context: RouteContext): void {
  app.post("/pair", async (request, reply): Promise<PairResponseBody> => {
    const { request: pairingRequest, keyLifetime } = parsePairRequestBody(request.body);
    const timeoutMs = msUntilExpiry(pairingRequest.exp, context, "pairing request");
    context.extension.assertConnected();
    const { release, peer } = context.pending.reserve(pairingRequest, () => context.peerOf(request.raw.socket));
    const clientGone = signalOnClientGone(reply);
    context.log.info("pair.requested", {
      pairingId: pairingRequest.id,
      tool: pairingRequest.requester.tool,
      pid: pairingRequest.requester.pid,
      peer: peer.key,
      keyLifetime: keyLifetime ?? "default",
    });
    try {
      const pairing = await context.extension.pair(pairingRequest, keyLifetime, { timeoutMs, signal: clientGone.signal });
      if (pairing.statement.request !== pairingRequestDigest(pairingRequest)) {
        throw new HitlError(
          "ERR_CHALLENGE_MISMATCH",
          "The extension answered a different pairing request than the one sent; it was discarded. Run hitl pair again.",
        );
      }
      context.log.info("pair.done", { pairingId: pairingRequest.id, kid: pairing.statement.kid });
      return { pairing };
    } finally {
      clientGone.dispose();
      release();
    }
  });
}
