import {
  HitlError,
  type KeysListResponseBody,
  type KeysRevokeResponseBody,
  parseKeysListRequestBody,
  parseKeysRevokeRequestBody,
} from "@hitl/verifier/protocol";
import type { FastifyInstance, FastifyReply } from "fastify";
import { signalOnClientGone } from "../lib/client-gone.js";
import type { RouteContext } from "../lib/route-context.js";

/**
 * POST /keys/list `{}` -> 200 {keys} and POST /keys/revoke `{kid}` -> 200 {kid} (team mode,
 * `hitl keys list|revoke`). The host only relays: the extension's team window shows the keys or
 * asks the human to confirm that exact kid, and calls the hitl server with its own token; no
 * token ever reaches the host. One such request at a time (each opens a window for the human);
 * the request stays open until the window answers, the client goes away (withdrawn: the window
 * closes) or `keysTimeoutMs` passes (ERR_TIMEOUT, the window closes).
 */
export function registerKeysRoutes(app: FastifyInstance, context: RouteContext): void {
  let busy = false;
  const relay = async <T>(reply: FastifyReply, what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    context.extension.assertConnected();
    if (busy) {
      throw new HitlError(
        "ERR_TOO_MANY_PENDING",
        "Another 'hitl keys' request is already waiting in the team window; answer or close that window, then retry.",
      );
    }
    busy = true;
    const clientGone = signalOnClientGone(reply);
    try {
      return await call(clientGone.signal);
    } finally {
      clientGone.dispose();
      busy = false;
      context.log.info("keys.done", { what });
    }
  };

  app.post("/keys/list", async (request, reply): Promise<KeysListResponseBody> => {
    parseKeysListRequestBody(request.body);
    return relay(reply, "list", async (signal) => {
      context.log.info("keys.list-requested", {});
      const keys = await context.extension.listKeys({ timeoutMs: context.keysTimeoutMs, signal });
      return { keys };
    });
  });

  app.post("/keys/revoke", async (request, reply): Promise<KeysRevokeResponseBody> => {
    const { kid } = parseKeysRevokeRequestBody(request.body);
    return relay(reply, "revoke", async (signal) => {
      context.log.info("keys.revoke-requested", { kid });
      const revoked = await context.extension.revokeKey(kid, { timeoutMs: context.keysTimeoutMs, signal });
      context.log.info("keys.revoked", { kid: revoked });
      return { kid: revoked };
    });
  });
}
