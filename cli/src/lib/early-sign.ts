import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
// Types only: this module runs before anything else and must not load the SDK.
import type { EarlySign } from "@hitl/sdk/internal";
// The verifier's one small entry that loads nothing else: the replay store's own directory probe.
import { probeNonceDirectory } from "@hitl/verifier/nonce-directory";

/*
 * `hitl request` opens its POST /sign as soon as Node has started, before the command's code is
 * loaded: the headers only, with `x-hitl-prepare: 1`, so the signing host has the extension open
 * the approval window (still empty) while the CLI builds the challenge. Building a window costs
 * the browser tens of milliseconds (a new renderer process); this way it overlaps with the CLI's
 * own start instead of following it.
 *
 * bin.cts opens the exchange (openEarlySign) and hands it to the command (run's context), which
 * passes it to requestApproval (option earlySign); @hitl/sdk sends the body on it for the first
 * POST /sign to the same port. If the command ends without sending it (a usage error, not
 * paired), bin.cts drops it (dropEarlySign) and the host closes the window.
 */

/**
 * The port `hitl request <argv>` will use, or undefined when it is not plain (the command then
 * reports it). The same rule as @hitl/sdk's resolvePort, which cannot be loaded here: it pulls
 * in the verifier, the start-up this module exists to overtake (test/early-sign.test.ts checks that
 * both agree). A port that still differs is caught by takeEarlySign.
 */
export function earlySignPort(argv: readonly string[], env: NodeJS.ProcessEnv): number | undefined {
  if (!argv.includes("--action") || argv.includes("--help") || argv.includes("-h")) return undefined;
  let text = env.HITL_PORT !== undefined && env.HITL_PORT.length > 0 ? env.HITL_PORT : "7331";
  const at = argv.indexOf("--port");
  if (at >= 0) text = argv[at + 1] ?? "";
  const inline = argv.find((arg) => arg.startsWith("--port="));
  if (inline !== undefined) text = inline.slice("--port=".length);
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * The approvers file `hitl request` will read: HITL_CONFIG_DIR, else $XDG_CONFIG_HOME/hitl, else
 * ~/.config/hitl. The same rule as verifier/src/paths.ts, repeated for the start-up reason above
 * (test/early-sign.test.ts checks that both agree).
 */
export function earlyApproversFile(env: NodeJS.ProcessEnv): string {
  return join(earlyConfigDir(env), "approvers.json");
}

/** The host secret file, by the same rule (paths.ts hostSecretFile). */
export function earlyHostSecretFile(env: NodeJS.ProcessEnv): string {
  return join(earlyConfigDir(env), "host-secret");
}

/** The embedded replay store's directory, by the same rule (paths.ts nonceDir). */
export function earlyNonceDir(env: NodeJS.ProcessEnv): string {
  return join(
    nonEmpty(env.HITL_STATE_DIR) ?? join(nonEmpty(env.XDG_STATE_HOME) ?? join(earlyHome(env), ".local", "state"), "hitl"),
    "nonces",
  );
}

function earlyConfigDir(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env.HITL_CONFIG_DIR) ?? join(nonEmpty(env.XDG_CONFIG_HOME) ?? join(earlyHome(env), ".config"), "hitl");
}

function earlyHome(env: NodeJS.ProcessEnv): string {
  return nonEmpty(env.HOME) ?? homedir();
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.length > 0 ? value : undefined;
}

/**
 * Whether opening early is worth it: without an approvers file the command stops at "not
 * paired" before it asks anything, without a host secret at "run hitl setup", and with a replay
 * store that cannot record a nonce at ERR_NONCE_STORE_UNAVAILABLE; an early window would only
 * flash up empty. A Redis store (HITL_REDIS_URL) is probed by the command over the network
 * before it asks, so it gets no early window either.
 */
export function mayAsk(env: NodeJS.ProcessEnv): boolean {
  return existsSync(earlyApproversFile(env)) && existsSync(earlyHostSecretFile(env)) && replayStoreIsReady(env);
}

function replayStoreIsReady(env: NodeJS.ProcessEnv): boolean {
  if (nonEmpty(env.HITL_REDIS_URL) !== undefined) return false;
  try {
    probeNonceDirectory(earlyNonceDir(env));
    return true;
  } catch {
    return false;
  }
}

/**
 * The request header carrying the nonce: HOST_AUTH.nonceHeader of the protocol constants,
 * repeated for the start-up reason above (test/early-sign.test.ts checks that both agree).
 */
export const EARLY_NONCE_HEADER = "x-hitl-client-nonce";

/**
 * The longest bin.cts waits for the headers to leave before it loads the command: on loopback a
 * connection is made or refused at once; anything slower is not worth holding the command for.
 */
const SEND_WAIT_MS = 100;

/**
 * Opens the exchange; `sent` resolves once its headers are written to the socket (or the connection
 * failed, or SEND_WAIT_MS passed). The caller must wait for it: the command is then loaded with
 * require(), which blocks the event loop, and Node makes the connection (and writes the headers)
 * only from the event loop, so without the wait the host would see them only after the load.
 */
export function openEarlySign(port: number): { early: EarlySign; sent: Promise<void> } {
  const nonce = randomBytes(32).toString("base64url");
  const request = httpRequest({
    host: "127.0.0.1",
    port,
    method: "POST",
    path: "/sign",
    agent: false,
    headers: {
      host: `127.0.0.1:${port}`,
      accept: "application/json",
      "content-type": "application/json",
      connection: "close",
      "x-hitl-prepare": "1",
      [EARLY_NONCE_HEADER]: nonce,
    },
  });
  const early: EarlySign = { port, nonce, request };
  request.on("response", (response) => {
    if (early.deliver !== undefined) early.deliver.response(response);
    else early.response = response;
  });
  request.on("error", (error) => {
    if (early.deliver !== undefined) early.deliver.error(error);
    else early.error ??= error;
  });
  const sent = new Promise<void>((resolve) => {
    const timer = setTimeout(done, SEND_WAIT_MS);
    function done(): void {
      clearTimeout(timer);
      resolve();
    }
    request.once("socket", (socket) => {
      // The headers are written when the socket connects (a 'connect' listener added before ours).
      if (socket.connecting) socket.once("connect", done);
      else done();
    });
    request.once("error", done);
    request.once("close", done);
  });
  request.flushHeaders();
  return { early, sent };
}

/** Ends an exchange nobody took: the host withdraws the window it opened for it. */
export function dropEarlySign(early: EarlySign | undefined): void {
  if (early === undefined || early.taken === true) return;
  early.taken = true;
  early.request.destroy();
}
