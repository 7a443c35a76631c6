import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { errorFromWire, HitlError } from "@hitl/verifier";
import { takeEarlySign } from "../../lib/early-sign.js";

/**
 * One HTTP exchange with the local signing host on 127.0.0.1. node:http without keep-alive
 * (every `hitl` run is one short process; a pooled socket would only keep it alive), an explicit
 * Host header (the host refuses any other, against DNS rebinding), JSON in and out, and a cap
 * on the answer so a stranger on the port cannot make us buffer without end.
 */
export interface HostExchange {
  port: number;
  method: "GET" | "POST";
  path: "/sign" | "/pair" | "/health";
  /** The JSON body, already encoded (see encodeJsonBody), so a re-sent request is byte-identical. */
  body?: Buffer;
  /** Aborting destroys the socket: the host sees the disconnect and withdraws the window. */
  signal?: AbortSignal;
  maxResponseBytes: number;
  /** Called once the whole request (headers and body) was written to the connection. */
  onDelivered?: () => void;
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
    // `hitl request` may have opened this exchange already (headers sent, see lib/early-sign.ts).
    const early = method === "POST" && path === "/sign" ? takeEarlySign(port) : undefined;
    let req: ClientRequest;
    if (early !== undefined) {
      req = early.request;
    } else {
      const headers: Record<string, string> = { host: `127.0.0.1:${port}`, accept: "application/json", connection: "close" };
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
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
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

function notAHost(port: number, status: number): HitlError {
  return new HitlError(
    "ERR_PROTOCOL",
    `127.0.0.1:${port} answered HTTP ${status} without a hitl reply; another program may be using the port. Run 'hitl doctor', or point hitl at the right port with HITL_PORT / --port.`,
  );
}
