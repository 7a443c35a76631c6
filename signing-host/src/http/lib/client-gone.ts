import type { FastifyReply } from "fastify";

/**
 * An AbortSignal that fires when the HTTP client disconnects before we answered (Ctrl-C on
 * `hitl request`, a killed agent). The response's 'close' event also fires after a normal
 * answer; `writableFinished` tells the two apart. Call `dispose` once the answer is known.
 */
export function signalOnClientGone(reply: FastifyReply): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const response = reply.raw;
  const onClose = () => {
    if (!response.writableFinished) controller.abort();
  };
  response.on("close", onClose);
  // The socket may already be gone by the time the body was parsed.
  if (response.destroyed || reply.request.raw.socket?.destroyed === true) controller.abort();
  return { signal: controller.signal, dispose: () => response.off("close", onClose) };
}
