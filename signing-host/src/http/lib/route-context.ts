import type { Socket } from "node:net";
import { HitlError, LIMITS } from "@hitl/verifier/protocol";
import type { HostLogger } from "../../lib/log.js";
import type { ExtensionPort } from "../../native/extension-port.js";
import type { Peer } from "./peer-identity.js";
import type { PendingRequests } from "./pending-requests.js";

/** What the routes share; built once by createSigningServer. */
export interface RouteContext {
  extension: ExtensionPort;
  pending: PendingRequests;
  /** The peer holding the client end of `socket` (cached per connection). */
  peerOf(socket: Socket): Peer;
  log: HostLogger;
  /** ms since the epoch. */
  clock(): number;
  /** Extra wait after `exp`, so a click made just before expiry still gets through. */
  expiryGraceMs: number;
  healthTimeoutMs: number;
  /** How long POST /keys/* wait for the team window (sign-in and a click included). */
  keysTimeoutMs: number;
  hostInfo(): { version: string; pid: number; port: number };
}

/** How long to keep a request open: until `exp` (seconds) plus the grace. */
export function msUntilExpiry(exp: number, context: RouteContext, what: string): number {
  const remaining = exp * 1000 - context.clock();
  if (remaining <= 0) {
    throw new HitlError(
      "ERR_EXPIRED",
      `The ${what} expired before it reached the browser (exp is in the past); make a new one and check the system clock.`,
    );
  }
  return Math.min(remaining, LIMITS.maxLifetimeSeconds * 1000) + context.expiryGraceMs;
}
