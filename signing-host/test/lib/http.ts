import { once } from "node:events";
import { request } from "node:http";
import { connect as connectTcp, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
  json(): any;
}

/**
 * A raw HTTP/1.1 request with full control over headers (fetch would set Host itself and
 * refuses some headers). `signal` aborts by destroying the socket, like a killed client.
 */
export function rawRequest(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string | number>; body?: string | Buffer; signal?: AbortSignal },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "POST",
        path: options.path ?? "/sign",
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
        setHost: false,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

export function jsonPost(port: number, path: string, value: unknown, signal?: AbortSignal): Promise<RawResponse> {
  return rawRequest(port, {
    path,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value),
    ...(signal === undefined ? {} : { signal }),
  });
}

/** A raw TCP connection to the host whose received bytes and close time are recorded. */
export interface RawConnection {
  socket: Socket;
  received(): string;
  /** When the host closed it (Date.now()). */
  closedAt: Promise<number>;
}

/** Opens a raw connection to 127.0.0.1:`port`; `opened` collects its socket for the test's cleanup. */
export async function openRawConnection(port: number, opened: Socket[]): Promise<RawConnection> {
  const socket = connectTcp(port, "127.0.0.1");
  opened.push(socket);
  let text = "";
  socket.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  // A reset by the host is what some tests provoke; the close time says what happened.
  socket.on("error", () => {});
  const closedAt = once(socket, "close").then(() => Date.now());
  await once(socket, "connect");
  return { socket, received: () => text, closedAt };
}
