import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HOST_AUTH, proveHostAnswer, readHostSecret } from "@hitl/verifier";

/**
 * A real HTTP server on 127.0.0.1:0 speaking the signing host's documented API, for tests of
 * the CLI's side. It refuses what the real host refuses (Origin, foreign Host, non-JSON), so a
 * client that forgets a header fails here too. `answer` decides each reply. Every reply carries
 * the host's proof (docs/protocol.md section 6.1), made with the host secret in `secretFile`,
 * unless `prove` is false (a stranger on the port).
 */
export interface PeerRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
  /** The body exactly as received, to compare re-sent requests byte for byte. */
  raw: string;
}

/** "hang": never answer; "reset": drop the connection after the whole request was read. */
export type PeerAnswer = { status: number; body: unknown } | "hang" | "reset";

export interface PeerHost {
  port: number;
  requests: PeerRequest[];
  /** Paths of requests announced early (x-hitl-prepare: 1), counted when their headers arrive. */
  announced: string[];
  /** Resolves when a client dropped a request that was still waiting for its answer. */
  disconnected: Promise<void>;
  close(): Promise<void>;
}

export async function startPeerHost(
  answer: (request: PeerRequest) => PeerAnswer | Promise<PeerAnswer>,
  /** `prove`: false, or a function returning false for a request, answers without the host's proof. */
  options: { secretFile: string; prove?: boolean | ((request: PeerRequest) => boolean) },
): Promise<PeerHost> {
  const secret = readHostSecret(options.secretFile);
  const requests: PeerRequest[] = [];
  const announced: string[] = [];
  let signalDisconnect: () => void = () => {};
  const disconnected = new Promise<void>((resolve) => {
    signalDisconnect = resolve;
  });
  let port = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.headers["x-hitl-prepare"] === "1") announced.push(req.url ?? "");
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const reply = (status: number, body: unknown, request?: PeerRequest): void => {
        const bytes = Buffer.from(JSON.stringify(body), "utf8");
        const nonce = req.headers[HOST_AUTH.nonceHeader];
        const proof =
          options.prove === false || (typeof options.prove === "function" && request !== undefined && !options.prove(request))
            ? undefined
            : proveHostAnswer(secret, {
                nonce: typeof nonce === "string" ? nonce : "",
                method: req.method ?? "",
                path: req.url ?? "",
                status,
                body: bytes,
              });
        res
          .writeHead(status, { "content-type": "application/json", ...(proof !== undefined && { [HOST_AUTH.proofHeader]: proof }) })
          .end(bytes);
      };
      if (req.headers.origin !== undefined) return reply(403, { error: { code: "ERR_ORIGIN_FORBIDDEN", message: "no Origin" } });
      if (req.headers.host !== `127.0.0.1:${port}`) {
        return reply(403, { error: { code: "ERR_HOST_HEADER_FORBIDDEN", message: `bad Host ${req.headers.host}` } });
      }
      if (req.method === "POST" && req.headers["content-type"] !== "application/json") {
        return reply(415, { error: { code: "ERR_UNSUPPORTED_MEDIA_TYPE", message: "json only" } });
      }
      const text = Buffer.concat(chunks).toString("utf8");
      const request: PeerRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: text.length > 0 ? JSON.parse(text) : undefined,
        raw: text,
      };
      requests.push(request);
      res.on("close", () => {
        if (!res.writableFinished) signalDisconnect();
      });
      const decided = await answer(request);
      if (decided === "hang") return;
      if (decided === "reset") {
        req.socket.destroy();
        return;
      }
      if (!res.destroyed) reply(decided.status, decided.body, request);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    announced,
    disconnected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on which nothing listens (asked from the OS, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
