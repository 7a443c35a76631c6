import type { Decision, HostToExtension } from "@hitl/verifier/protocol";
import { EXTENSION_HELLO, signPairing, signReceipt, type TestApprover } from "@hitl/verifier/testing";
import { createSigningServer, type SigningServer, type SigningServerOptions } from "../../src/http/server.js";
import { ExtensionPort } from "../../src/native/extension-port.js";
import { configWithSecret } from "./host-secret.js";

export const TEST_PORT = 7331;

/**
 * The server with an in-process extension link. The test plays the extension: `answer` gets
 * each host -> extension message (after a JSON round trip, as on the wire) and may reply
 * through `reply`, which goes through the same parser as real frames.
 */
export interface InProcessHost {
  server: SigningServer;
  /** The host secret the server proves its answers with (from a config dir set up like `hitl setup` does). */
  secret: Buffer;
  extension: ExtensionPort;
  sent: HostToExtension[];
  answer: (message: HostToExtension, reply: (value: unknown) => void) => void;
  inject(options: {
    method?: "GET" | "POST" | "PUT" | "OPTIONS" | "DELETE";
    url?: string;
    headers?: Record<string, string>;
    body?: unknown;
    payload?: string;
  }): Promise<{
    statusCode: number;
    headers: Record<string, unknown>;
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies field by field
    json(): any;
    body: string;
  }>;
  close(): Promise<void>;
}

export async function startInProcess(
  options: { connected?: boolean; server?: Partial<Omit<SigningServerOptions, "extension">> } = {},
): Promise<InProcessHost> {
  const sent: HostToExtension[] = [];
  const host = {} as InProcessHost;
  host.sent = sent;
  host.answer = () => {};
  const extension = new ExtensionPort({
    send: (message) => {
      const wire = JSON.parse(JSON.stringify(message)) as HostToExtension;
      sent.push(wire);
      setImmediate(() => host.answer(wire, (value) => extension.receive(JSON.parse(JSON.stringify(value)))));
    },
    handshakeTimeoutMs: 60_000,
  });
  if (options.connected !== false) extension.receive(EXTENSION_HELLO);
  const config = await configWithSecret();
  const server = await createSigningServer({ port: TEST_PORT, extension, hostSecret: config.secret, ...options.server });
  host.server = server;
  host.secret = config.secret;
  host.extension = extension;
  host.inject = async ({ method = "POST", url = "/sign", headers = {}, body, payload }) => {
    const response = await server.app.inject({
      method,
      url,
      headers: { host: `127.0.0.1:${TEST_PORT}`, ...(method === "POST" ? { "content-type": "application/json" } : {}), ...headers },
      ...(payload !== undefined ? { payload } : body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return { statusCode: response.statusCode, headers: response.headers, json: () => response.json(), body: response.body };
  };
  host.close = async () => {
    extension.close();
    await server.close();
    await config.remove();
  };
  return host;
}

/** An extension that signs every sign.request with `approver` (`decision`, default approve) and pairs every pair.request. */
export function signingExtension(approver: TestApprover, decision: Decision = "approve"): InProcessHost["answer"] {
  return (message, reply) => {
    if (message.type === "sign.request") {
      reply({ type: "sign.result", requestId: message.requestId, receipt: signReceipt(message.challenge, approver, { decision }) });
    }
    if (message.type === "pair.request") {
      reply({ type: "pair.result", requestId: message.requestId, pairing: signPairing(message.request, approver) });
    }
  };
}
