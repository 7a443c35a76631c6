import type { ClientRequest, IncomingMessage } from "node:http";

/*
 * `hitl request` opens its POST /sign before its code is loaded (@hitl/cli lib/early-sign.ts)
 * and passes the open exchange to requestApproval (option `earlySign`); the first POST /sign to
 * the same port takes it and sends the body on it.
 */

export interface EarlySign {
  readonly port: number;
  /** The x-hitl-client-nonce sent with the headers: the host's proof on the answer covers it. */
  readonly nonce: string;
  readonly request: ClientRequest;
  /** What arrived before the exchange was taken; events after that go to `deliver`. */
  response?: IncomingMessage;
  error?: Error;
  deliver?: { response(response: IncomingMessage): void; error(error: Error): void };
  /** Set once an exchange took it, or closed it because it was opened for another port. */
  taken?: boolean;
}

/** The open exchange, once, if it was opened for this port (one for another port is closed). */
export function takeEarlySign(early: EarlySign | undefined, port: number): EarlySign | undefined {
  if (early === undefined || early.taken === true) return undefined;
  early.taken = true;
  if (early.port === port) return early;
  // Ends an exchange nobody can use: the host withdraws the window it opened for it.
  early.request.destroy();
  return undefined;
}
