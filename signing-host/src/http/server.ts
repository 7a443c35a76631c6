import { proveHostAnswer } from "@hitl/verifier";
import { HitlError, HOST_AUTH, LIMITS } from "@hitl/verifier/protocol";
import type { FastifyInstance } from "fastify";
import { type HostLogger, silentLogger } from "../lib/log.js";
import type { ExtensionPort } from "../native/extension-port.js";
import { HOST_VERSION } from "../version.js";
import { sendError, toHitlError } from "./lib/error-reply.js";
import { checkRequest } from "./lib/guards.js";
import { useStrictJsonBodies } from "./lib/json-body.js";
import { createPeerIdentifier, type IdentifyPeer, type Peer } from "./lib/peer-identity.js";
import { DEFAULT_PENDING_LIMITS, type PendingLimits, PendingRequests } from "./lib/pending-requests.js";
import type { RouteContext } from "./lib/route-context.js";
import { answerClientError, capConnections, MAX_CONNECTIONS, REQUEST_TIMEOUT_MS, SLOW_CLIENT_SERVER_OPTIONS } from "./lib/slow-clients.js";
import { registerHealthRoute } from "./routes/health.js";
import { registerKeysRoutes } from "./routes/keys.js";
import { registerPairRoute } from "./routes/pair.js";
import { registerSignRoute } from "./routes/sign.js";

/** Only ever loopback: the API relays approvals, it must not be reachable from the network. */
export const LISTEN_ADDRESS = "127.0.0.1";

export interface SigningServerOptions {
  extension: ExtensionPort;
  /**
   * The per-user host secret (readHostSecret of the config dir's host-secret file): every answer
   * carries an HMAC proof made with it, so the CLI can tell this host from another program
   * that took the port (docs/protocol.md section 6.1).
   */
  hostSecret: Uint8Array;
  /** Port to listen on; 0 picks a free one (tests). The Host-header check uses the bound port. */
  port: number;
  hostVersion?: string;
  log?: HostLogger;
  pendingLimits?: Partial<PendingLimits>;
  /** Who holds the client end of a connection (default: the kernel's answer, peer-identity.ts); tests replace it. */
  identifyPeer?: IdentifyPeer;
  /** Connections open at once before the oldest unfinished one is evicted (default 256, slow-clients.ts). */
  maxConnections?: number;
  /** Extra wait after a challenge's exp before answering 408 (default 2000 ms). */
  expiryGraceMs?: number;
  /** How long GET /health waits for the extension's status (default 1500 ms). */
  healthTimeoutMs?: number;
  /** How long POST /keys/list and /keys/revoke wait for the team window (default 180 000 ms: a sign-in and a click). */
  keysTimeoutMs?: number;
  /** ms since the epoch (default Date.now). */
  clock?: () => number;
}

/** Long enough for a sign-in at Keycloak and a click in the team window. */
export const DEFAULT_KEYS_TIMEOUT_MS = 180_000;

export interface SigningServer {
  readonly app: FastifyInstance;
  /** The configured port until listen() resolves, then the bound one. */
  readonly port: number;
  /** Requests (sign + pair) waiting for the human. */
  readonly pendingCount: number;
  /** Resolves with the bound port; rejects with HitlError ERR_PORT_IN_USE if it is taken. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

export async function createSigningServer(options: SigningServerOptions): Promise<SigningServer> {
  // Loaded here, not at module load: the CLI imports this package for `hitl setup` and
  // `hitl doctor` and must not pay for fastify.
  const { default: Fastify } = await import("fastify");
  const log = options.log ?? silentLogger;
  let port = options.port;
  const pending = new PendingRequests({ ...DEFAULT_PENDING_LIMITS, ...options.pendingLimits });
  const identifyPeer = options.identifyPeer ?? createPeerIdentifier();
  // Looked up once per connection, when its first request needs a pending place.
  const peers = new WeakMap<object, Peer>();

  const app = Fastify({
    logger: false,
    bodyLimit: LIMITS.receiptBytes,
    // A complete request stays open until the human decides or the challenge expires (up to an
    // hour); receiving it is timed (slow-clients.ts).
    connectionTimeout: 0,
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: SLOW_CLIENT_SERVER_OPTIONS,
    clientErrorHandler: answerClientError,
    keepAliveTimeout: 5_000,
    exposeHeadRoutes: false,
    return503OnClosing: false,
    // No JSON schemas are used (bodies go through the strict protocol parsers); if one is ever
    // added, it must not coerce or strip fields silently.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
  });

  // Bodies are parsed as the protocol parses JSON text (lib/json-body.ts), not by fastify.
  useStrictJsonBodies(app);

  const context: RouteContext = {
    extension: options.extension,
    pending,
    peerOf: (socket) => {
      let peer = peers.get(socket);
      if (peer === undefined) {
        peer = identifyPeer(socket);
        peers.set(socket, peer);
      }
      return peer;
    },
    log,
    clock: options.clock ?? Date.now,
    expiryGraceMs: options.expiryGraceMs ?? 2_000,
    healthTimeoutMs: options.healthTimeoutMs ?? 1_500,
    keysTimeoutMs: options.keysTimeoutMs ?? DEFAULT_KEYS_TIMEOUT_MS,
    hostInfo: () => ({ version: options.hostVersion ?? HOST_VERSION, pid: process.pid, port }),
  };

  // Before the body is read: Host, then Origin, then content type (see guards.ts).
  app.addHook("onRequest", async (request, reply) => {
    const refused = checkRequest(request, port);
    if (refused === undefined) return;
    log.warn("http.refused", { code: refused.code, method: request.method, url: request.url.slice(0, 200) });
    await sendError(reply, refused);
    return reply;
  });

  const hostSecret = Uint8Array.from(options.hostSecret);
  if (hostSecret.length !== HOST_AUTH.secretBytes) throw new HitlError("ERR_INTERNAL", "The host secret must be 32 bytes.");
  // Every answer, refusals and 404s included, passes here with its final status and body bytes.
  app.addHook("onSend", async (request, reply, payload) => {
    reply.header("cache-control", "no-store");
    reply.header("x-content-type-options", "nosniff");
    const nonce = request.headers[HOST_AUTH.nonceHeader];
    const proof = proveHostAnswer(hostSecret, {
      nonce: typeof nonce === "string" ? nonce : "",
      method: request.method,
      path: request.url,
      status: reply.statusCode,
      body: bodyBytes(payload),
    });
    if (proof !== undefined) reply.header(HOST_AUTH.proofHeader, proof);
    return payload;
  });

  app.setErrorHandler((error, request, reply) => {
    const hitlError = toHitlError(error);
    if (hitlError.code === "ERR_INTERNAL") {
      log.error("http.internal-error", { url: request.url.slice(0, 200), reason: error instanceof Error ? error.message : String(error) });
    } else {
      log.info("http.error", { url: request.url.slice(0, 200), code: hitlError.code });
    }
    return sendError(reply, hitlError);
  });

  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({
      error: {
        code: "ERR_MALFORMED",
        message: "No such endpoint: the signing host serves POST /sign, POST /pair, POST /keys/list, POST /keys/revoke and GET /health.",
      },
    }),
  );

  capConnections(app.server, {
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    onEvicted: (count) => log.warn("http.connections-evicted", { count, limit: options.maxConnections ?? MAX_CONNECTIONS }),
  });

  registerSignRoute(app, context);
  registerPairRoute(app, context);
  registerHealthRoute(app, context);
  registerKeysRoutes(app, context);

  return {
    app,
    get port() {
      return port;
    },
    get pendingCount() {
      return pending.size;
    },
    async listen() {
      try {
        await app.listen({ host: LISTEN_ADDRESS, port: options.port });
      } catch (error) {
        if ((error as { code?: unknown }).code === "EADDRINUSE") {
          throw new HitlError(
            "ERR_PORT_IN_USE",
            `Port ${options.port} on ${LISTEN_ADDRESS} is already in use (another hitl signing host or another program), so the signing host cannot start. Stop that program, or choose another port with HITL_PORT in the environment the browser starts from, and use the same HITL_PORT (or --port) with hitl.`,
            { cause: error },
          );
        }
        throw error;
      }
      const address = app.server.address();
      if (address !== null && typeof address === "object") port = address.port;
      log.info("http.listening", { address: LISTEN_ADDRESS, port });
      return port;
    },
    close: () => app.close(),
  };
}

/** The bytes fastify will write for `payload` (routes and error replies send serialized JSON). */
function bodyBytes(payload: unknown): Uint8Array {
  if (payload === null || payload === undefined) return new Uint8Array(0);
  if (typeof payload === "string") return Buffer.from(payload, "utf8");
  if (payload instanceof Uint8Array) return payload;
  // A stream cannot be digested before it is sent; no route sends one.
  throw new HitlError("ERR_INTERNAL", "The signing host tried to send an answer it cannot prove.");
}
