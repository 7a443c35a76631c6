import { request } from "node:http";

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
