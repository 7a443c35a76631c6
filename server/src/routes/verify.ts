import { HitlError, keycloakRealm, verifyReceipt } from "@hitl/verifier";
import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../create-app.js";

const DIGEST = /^[A-Za-z0-9_-]{43}$/;

/**
 * POST /v1/verify (docs/protocol.md §9): for services not written in Node. The caller proves
 * with a client-credentials token carrying the realm role hitl-verify that it may consume
 * nonces; the receipt is then verified exactly as verifyReceipt does, against the Keycloak key
 * directory, with its nonce consumed in the shared Redis.
 */
export function registerVerifyRoute(app: FastifyInstance, deps: AppDeps): void {
  app.post("/v1/verify", async (request) => {
    const claims = await deps.tokens.verify(request.headers.authorization);
    const roles = claims.realm_access?.roles ?? [];
    if (!roles.includes(keycloakRealm.VERIFY_ROLE) || claims.azp === keycloakRealm.EXTENSION_CLIENT_ID) {
      throw new HitlError(
        "ERR_CALLER_NOT_ALLOWED",
        `This token may not verify receipts: use a client-credentials token of a client whose service account has the realm role ${keycloakRealm.VERIFY_ROLE} (e.g. ${keycloakRealm.VERIFIER_CLIENT_ID}).`,
      );
    }
    const { receipt, aud, intent } = readBody(request.body);
    const verified = await verifyReceipt(receipt, intent === undefined ? { aud } : { aud, intent }, {
      keys: deps.directory,
      nonces: deps.nonces,
      ...(deps.clock ? { clock: deps.clock } : {}),
    });
    const { challenge, statement } = verified.receipt;
    return {
      approver: { sub: statement.sub, username: verified.approver.label ?? statement.sub },
      kid: statement.kid,
      action: challenge.action,
      challenge: { id: challenge.id, aud: challenge.aud, iat: challenge.iat, exp: challenge.exp, intent: challenge.intent },
      decidedAt: statement.decidedAt,
    };
  });
}

function readBody(body: unknown): { receipt: unknown; aud: string; intent?: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    malformed('The body must be {"receipt": {…}, "expected": {"aud": …}}');
  const { receipt, expected, ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) malformed(`body.${extra} is not a known field`);
  if (receipt === undefined) malformed("body.receipt is missing");
  if (typeof expected !== "object" || expected === null || Array.isArray(expected))
    malformed('body.expected must be an object {"aud": …, "intent"?: …}');
  const { aud, intent, ...more } = expected as Record<string, unknown>;
  const unknown = Object.keys(more)[0];
  if (unknown !== undefined) malformed(`body.expected.${unknown} is not a known field`);
  if (typeof aud !== "string" || aud.length === 0 || aud.length > 256)
    malformed("body.expected.aud must be your audience (1..256 characters)");
  if (intent !== undefined && (typeof intent !== "string" || !DIGEST.test(intent)))
    malformed("body.expected.intent must be an intent digest (43 base64url characters)");
  return intent === undefined ? { receipt, aud } : { receipt, aud, intent: intent as string };
}

function malformed(message: string): never {
  throw new HitlError("ERR_MALFORMED", `${message}.`);
}
