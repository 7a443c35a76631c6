import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { errorFromWire, HitlError, HOST_AUTH, newClientNonce, verifyHostAnswer } from "@hitl/verifier";
import { type EarlySign, takeEarlySign } from "./early-sign.js";

/**
 * One HTTP exchange with the local signing host on 127.0.0.1. node:http without keep-alive
 * (every `hitl` run is one short process; a pooled socket would only keep it alive), an explicit
 * Host header (the host refuses any other, against DNS rebinding), JSON in and out, and a cap
 * on the answer so a stranger on the port cannot make us buffer without end.
 *
 * Every exchange carries a fresh client nonce, and nothing in the answer (status, error, body) is
 * used before the host's proof over it checked out against the host secret (docs/protocol.md
 * section 6.1): another program on the port, even of another OS user, cannot make one.
 */
export interface HostExchange {
  port: number;
  /** The host secret (readHostSecret): the answer must carry a proof made with it. */
  secret: Uint8Array;
  method: "GET" | "POST";
  path: "/sign" | "/pair" | "/health" | "/keys/list" | "/keys/revoke";
  /** The JSON body, already encoded (see encodeJsonBody), so a re-sent request is byte-identical. */
  body?: Buffer;
  /** Aborting destroys the socket: the host sees the disconnect and withdraws the window. */
  signal?: AbortSignal;
  maxResponseBytes: number;
  /** Called once the whole request (headers and body) was written to the connection. */
  onDelivered?: () => void;
  /** A POST /sign whose headers `hitl request` sent already (early-sign.ts): the body goes on it. */
  early?: EarlySign;
}

export function encodeJsonBody(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

/**
 * The socket-level failure (ECONNREFUSED, ECONNRESET, ...) behind an error from exchangeWithHost,
 * or undefined when the error is the host's own answer or ours. A host's error body is rebuilt
 * by errorFromWire, which never carries a cause, so a host cannot pass for a broken connection.
 */
export function socketFailure(error: HitlError): string | undefined {
  if (error.code !== "ERR_HOST_UNREACHABLE" || !(error.cause instanceof Error)) return undefined;
  const { code } = error.cause as NodeJS.ErrnoException;
  return typeof code === "string" ? code : "ESOCKET";
}

/** The 200 body, parsed. Any other status becomes the HitlError the host sent. */
export function exchangeWithHost(exchange: HostExchange): Promise<unknown> {
  const { port, method, path, signal, maxResponseBytes } = exchange;
  const payload = exchange.body;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    // `hitl request` may have opened this exchange already (headers sent, see early-sign.ts).
    const early = method === "POST" && path === "/sign" ? takeEarlySign(exchange.early, port) : undefined;
    let req: ClientRequest;
    let nonce: string;
    if (early !== undefined) {
      req = early.request;
      nonce = early.nonce;
    } else {
      nonce = newClientNonce();
      const headers: Record<string, string> = {
        host: `127.0.0.1:${port}`,
        accept: "application/json",
        connection: "close",
        [HOST_AUTH.nonceHeader]: nonce,
      };
      if (payload !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(payload.length);
      }
      req = httpRequest({ host: "127.0.0.1", port, method, path, headers, agent: false });
    }
    let settled = false;
    const finish = (error: HitlError | undefined, value?: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      if (error) reject(error);
      else resolve(value);
    };
    const onAbort = (): void => {
      finish(abortReason(signal!));
      req.destroy();
    };
    signal?.addEventListener("abort", onAbort, { once: true });

    // 'finish': everything was handed to the connection, so the host may be holding the request.
    if (exchange.onDelivered !== undefined) req.once("finish", exchange.onDelivered);
    const onError = (error: NodeJS.ErrnoException): void => finish(transportError(error, port));
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxResponseBytes) {
          finish(
            new HitlError(
              "ERR_PROTOCOL",
              `The answer from 127.0.0.1:${port} is larger than ${maxResponseBytes} bytes, so it is not a hitl signing host. Check what listens on that port, or set HITL_PORT.`,
            ),
          );
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on("error", (error: NodeJS.ErrnoException) => finish(transportError(error, port)));
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const body = Buffer.concat(chunks);
        // Before anything of the answer is looked at: was it made by our signing host, for this request?
        if (!verifyHostAnswer(exchange.secret, { nonce, method, path, status, body }, res.headers[HOST_AUTH.proofHeader])) {
          finish(unauthenticated(port));
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString("utf8"));
        } catch {
          finish(notAHost(port, status));
          return;
        }
        if (status === 200) {
          finish(undefined, parsed);
          return;
        }
        const wire = (parsed as { error?: unknown } | null)?.error;
        finish(wire === undefined ? notAHost(port, status) : errorFromWire(wire));
      });
    };
    if (early === undefined) {
      req.on("error", onError);
      req.on("response", onResponse);
    } else {
      early.deliver = { response: onResponse, error: onError };
      if (early.error !== undefined) onError(early.error);
      else if (early.response !== undefined) onResponse(early.response);
    }
    req.end(payload);
  });
}

/** Rejects with the abort reason itself when it is a HitlError, so callers can tell it is theirs. */
function abortReason(signal: AbortSignal): HitlError {
  const reason: unknown = signal.reason;
  return reason instanceof HitlError
    ? reason
    : new HitlError("ERR_WITHDRAWN", "The request was withdrawn before a decision arrived; nothing was signed.");
}

function transportError(error: NodeJS.ErrnoException, port: number): HitlError {
  if (error.code === "ECONNREFUSED") {
    return new HitlError(
      "ERR_HOST_UNREACHABLE",
      `No hitl signing host is listening on 127.0.0.1:${port}. Open your browser with the hitl extension (it starts the host); if it is open, run 'hitl setup' once, restart the browser, and check with 'hitl doctor'.`,
      { cause: error },
    );
  }
  return new HitlError(
    "ERR_HOST_UNREACHABLE",
    `The connection to the signing host on 127.0.0.1:${port} failed (${error.code ?? error.message}); the browser may have closed. Reopen it and run 'hitl doctor'.`,
    { cause: error },
  );
}

/** Also what `hitl doctor` shows; it names the program when the OS tells. */
export function unauthenticated(port: number): HitlError {
  return new HitlError(
    "ERR_HOST_UNAUTHENTICATED",
    `Something else is listening on 127.0.0.1:${port} and could not prove it is your hitl signing host (no valid ${HOST_AUTH.proofHeader}); nothing was written or approved. Stop that program ('hitl doctor' names its owner when the OS tells) and restart your browser, or point hitl at your host's port with HITL_PORT / --port. If you re-created the host secret with 'hitl setup' since the browser started, restart the browser.`,
  );
}

function notAHost(port: number, status: number): HitlError {
  return new HitlError(
    "ERR_PROTOCOL",
    `127.0.0.1:${port} answered HTTP ${status} without a hitl reply; another program may be using the port. Run 'hitl doctor', or point hitl at the right port with HITL_PORT / --port.`,
  );
}
