import { challengeDigest } from "@hitl/verifier";
import {
  type Challenge,
  canonicalize,
  HitlError,
  parseSignRequestBody,
  type Receipt,
  type SignResponseBody,
} from "@hitl/verifier/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { signalOnClientGone } from "../lib/client-gone.js";
import { msUntilExpiry, type RouteContext } from "../lib/route-context.js";

/**
 * A client that sends this header (`hitl request` does, right after Node starts) asks for the
 * window to be opened while its body is still on the way (sign.prepare). Other clients keep the
 * old order: nothing reaches the browser before the body is valid.
 */
export const PREPARE_HEADER = "x-hitl-prepare";

/**
 * POST /sign {challenge} -> 200 {receipt}: an approval or a signed denial. The request stays open
 * until the human decides or the challenge expires; if the client goes away first, the
 * extension is told to withdraw the window and nothing is signed.
 */
export function registerSignRoute(app: FastifyInstance, context: RouteContext): void {
  const preparedIds = new WeakMap<FastifyRequest, string>();
  const release = async (request: FastifyRequest): Promise<void> => {
    const id = preparedIds.get(request);
    if (id !== undefined) context.extension.releasePrepared(id); // a no-op once sign() used it
  };
  const hooks = {
    // After the onRequest guards (Host, Origin, content type), before the body is read.
    preParsing: async (request: FastifyRequest, _reply: unknown, payload: NodeJS.ReadableStream) => {
      if (request.headers[PREPARE_HEADER] === "1") {
        const id = context.extension.prepareSign();
        if (id !== undefined) {
          preparedIds.set(request, id);
          context.log.info("sign.prepared", { requestId: id });
        }
      }
      return payload;
    },
    onResponse: release,
    onRequestAbort: release,
  };
  app.post("/sign", hooks, async (request, reply): Promise<SignResponseBody> => {
    const { challenge } = parseSignRequestBody(request.body);
    const timeoutMs = msUntilExpiry(challenge.exp, context, "challenge");
    context.extension.assertConnected();
    const { release, peer } = context.pending.reserve(challenge, () => context.peerOf(request.raw.socket));
    const clientGone = signalOnClientGone(reply);
    context.log.info("sign.requested", {
      challengeId: challenge.id,
      tool: challenge.requester.tool,
      pid: challenge.requester.pid,
      peer: peer.key,
    });
    try {
      const receipt = await context.extension.sign(challenge, {
        timeoutMs,
        signal: clientGone.signal,
        preparedId: preparedIds.get(request),
      });
      assertReceiptIsFor(receipt, challenge);
      context.log.info("sign.decided", { challengeId: challenge.id, decision: receipt.statement.decision, kid: receipt.kid });
      // Built from the parsed receipt only: whatever else the extension might send never leaves.
      return { receipt };
    } finally {
      clientGone.dispose();
      release();
    }
  });
}

/**
 * The extension must sign the challenge it was sent, not one it has pending elsewhere. Compared
 * by canonical form (RFC 8785), which is what the signature's digest covers.
 */
function assertReceiptIsFor(receipt: Receipt, sent: Challenge): void {
  if (canonicalize(receipt.challenge) !== canonicalize(sent)) {
    throw new HitlError(
      "ERR_CHALLENGE_MISMATCH",
      "The extension returned a receipt for a different challenge than the one sent; it was discarded and nothing is approved. Reload the extension and retry.",
    );
  }
  if (receipt.statement.challenge !== challengeDigest(sent)) {
    throw new HitlError(
      "ERR_CHALLENGE_MISMATCH",
      "The receipt's statement does not sign the digest of the challenge that was sent; it was discarded and nothing is approved. Reload the extension and retry.",
    );
  }
}
