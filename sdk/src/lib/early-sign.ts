import type { ClientRequest, IncomingMessage } from "node:http";

/*
 * `hitl request` opens its POST /sign before its code is loaded (@hitl/cli lib/early-sign.ts,
 * which puts the open exchange here); the first POST /sign to the same port takes it and sends
 * the body on it. The hand-off goes through a global symbol, not a module: the CLI's entry and a
 * command's bundle are separate module graphs, and the CLI's early start must not load the SDK.
 * Outside `hitl request` the slot is always empty.
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
}

export const EARLY_SIGN_SLOT = Symbol.for("hitl.earlySign");
export type EarlySignSlot = { [EARLY_SIGN_SLOT]?: EarlySign | undefined };

/** The open exchange, once, if it was opened for this port (one for another port is dropped). */
export function takeEarlySign(port: number): EarlySign | undefined {
  const slot = globalThis as EarlySignSlot;
  const early = slot[EARLY_SIGN_SLOT];
  slot[EARLY_SIGN_SLOT] = undefined;
  if (early?.port === port) return early;
  // Ends an exchange nobody can use: the host withdraws the window it opened for it.
  early?.request.destroy();
  return undefined;
}
