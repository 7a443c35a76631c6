import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type ErrorCode, HitlError } from "@hitl/verifier/protocol";
import { errorBody, statusForCode } from "./error-reply.js";

/*
 * Slow and idle clients must not hold the host's descriptors. Node enforces the two timeouts
 * (checked every CHECK_INTERVAL_MS); this module caps the connections and answers the timed-out
 * ones in the hitl error format.
 *
 *   - headers within HEADERS_TIMEOUT_MS of the connection (or of the previous request on it);
 *   - the whole request, body included, within REQUEST_TIMEOUT_MS of its start. `hitl request`
 *     sends its headers (`x-hitl-prepare: 1`) when Node starts and the body once the challenge is
 *     built, ~100 ms later; 10 s leaves room for a loaded machine and equals the time the
 *     extension keeps an empty prepared window;
 *   - once a request is complete, nothing is timed: it waits for the human (up to an hour);
 *   - at MAX_CONNECTIONS open connections, a new one evicts the oldest that is still sending its
 *     headers, else the oldest idle keep-alive one, else the oldest still sending its body. A
 *     complete request waiting for the human is never evicted (their number is bounded by the
 *     pending limits), so a flood of half-open sockets cannot starve a real request.
 */

export const HEADERS_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 10_000;
export const CHECK_INTERVAL_MS = 1_000;
export const MAX_CONNECTIONS = 256;

/** For Fastify's `http` option: the server is created with these. */
export const SLOW_CLIENT_SERVER_OPTIONS = { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: CHECK_INTERVAL_MS };

/** Fastify's clientErrorHandler: timeouts and unparsable HTTP answered as `{error:{code,message}}`. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const hitlError =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? new HitlError(
          "ERR_REQUEST_TOO_SLOW",
          `The request did not arrive in time (headers within ${HEADERS_TIMEOUT_MS / 1000} s, the whole request within ${REQUEST_TIMEOUT_MS / 1000} s); the signing host closed the connection. Send the whole request at once.`,
        )
      : error.code === "HPE_HEADER_OVERFLOW"
        ? new HitlError("ERR_TOO_LARGE", "The request headers are too large; a hitl client sends a few short headers.")
        : new HitlError("ERR_MALFORMED", "The request is not valid HTTP/1.1.");
  closeWithError(socket, hitlError);
}

/** Enforces MAX_CONNECTIONS on `server` by evicting, as described above. */
export function capConnections(server: Server, options: { maxConnections?: number; onEvicted?: (count: number) => void } = {}): void {
  const maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) throw new TypeError("maxConnections must be an integer >= 1");
  // Insertion order is connection order: the first match is the oldest.
  const open = new Map<Socket, Tracked>();
  // Reported at most once a second: a flood must not turn into a flood of log lines.
  let evicted = 0;
  const countEviction = () => {
    if (evicted++ > 0) return; // a report is already scheduled
    setTimeout(() => {
      options.onEvicted?.(evicted);
      evicted = 0;
    }, 1_000).unref();
  };

  server.on("connection", (socket: Socket) => {
    open.set(socket, { served: false });
    socket.once("close", () => open.delete(socket));
    if (open.size <= maxConnections) return;
    const victim = pickVictim(open, socket) ?? socket;
    const state = describe(open.get(victim)!);
    open.delete(victim);
    countEviction();
    closeWithError(
      victim,
      new HitlError(
        "ERR_TOO_MANY_CONNECTIONS",
        `The signing host has ${maxConnections} connections open, so this one (${state}) was closed. Retry; if it persists, a local program is flooding the signing host.`,
      ),
    );
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const tracked = open.get(request.socket);
    if (tracked === undefined) return;
    tracked.request = request;
    response.once("finish", () => {
      tracked.served = true;
      if (tracked.request === request) tracked.request = undefined;
    });
  });
}

/** `request`: the one on the connection now; `served`: a response was sent on it before. */
type Tracked = { request?: IncomingMessage | undefined; served: boolean };

function describe(tracked: Tracked): string {
  if (tracked.request !== undefined) return tracked.request.complete ? "waiting for a decision" : "body still arriving";
  return tracked.served ? "idle" : "headers not complete";
}

/**
 * The oldest connection (other than the one just accepted) still sending its headers, else the
 * oldest idle one, else the oldest still sending its body; undefined when every other connection
 * holds a complete request (then the new one is refused).
 */
function pickVictim(open: Map<Socket, Tracked>, newcomer: Socket): Socket | undefined {
  let idle: Socket | undefined;
  let receivingBody: Socket | undefined;
  for (const [socket, tracked] of open) {
    if (socket === newcomer) continue;
    if (tracked.request === undefined) {
      if (!tracked.served) return socket;
      idle ??= socket;
    } else if (!tracked.request.complete) {
      receivingBody ??= socket;
    }
  }
  return idle ?? receivingBody;
}

/** Answer on the raw socket (no request object exists) unless a response already started, then close. */
function closeWithError(socket: Socket, error: HitlError): void {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && (inFlight == null || !inFlight.headersSent)) {
    const code: ErrorCode = error.code;
    const status = statusForCode(code);
    const body = JSON.stringify(errorBody(error));
    socket.write(
      `HTTP/1.1 ${status} ${statusText(status)}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  // As Node does: the few bytes are handed to the kernel at once; destroy frees the descriptor
  // now even if the client never reads (end() would wait for it: the server allows half-open).
  socket.destroy();
}

function statusText(status: number): string {
  return (
    ({ 400: "Bad Request", 408: "Request Timeout", 413: "Payload Too Large", 503: "Service Unavailable" } as Record<number, string>)[
      status
    ] ?? "Error"
  );
}
