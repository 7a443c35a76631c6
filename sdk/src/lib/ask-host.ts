import { HitlError } from "@hitl/verifier";
import type { EarlySign } from "./early-sign.js";
import { encodeJsonBody, exchangeWithHost, socketFailure } from "./host-http.js";

export interface AskHostOptions {
  port: number;
  /** The host secret: every answer must carry the host's proof made with it. */
  secret: Uint8Array;
  path: "/sign" | "/pair";
  body: unknown;
  /** The request's own expiry, seconds: the host answers 408 then; we stop waiting a little later. */
  exp: number;
  /** What the request is, for messages: "approval", "pairing". */
  what: string;
  maxResponseBytes: number;
  signal?: AbortSignal;
  clock: () => number;
  onSent?: () => void;
  /** Called once, when a copy of the request was first written whole to a host. */
  onDelivered?: () => void;
  /**
   * Re-send the same bytes when the browser side goes away after the request was delivered
   * (see `reconnecting` below). Only for requests the extension recognises when they come back:
   * an approval is found again by its challenge digest.
   */
  resend?: boolean;
  /** "lost": the request was delivered and the browser side went away; "restored": a re-sent copy is held again. */
  onLinkChange?: (state: "lost" | "restored") => void;
  /** A POST /sign opened before the body was known (`hitl request`); the first attempt uses it. */
  earlySign?: EarlySign;
  /** The signing host's log file, named when the host dies with the request (resolvePaths().hostLogFile). */
  hostLogFile?: string;
}

/** The host answered 200 with `body`, or the exchange failed and `local` says whether we ended it. */
export type HostAnswer = { ok: true; body: unknown } | { ok: false; error: HitlError; local: boolean };

/** How long past `exp` we wait for the host's own 408 before giving up on it. */
const HOST_GRACE_MS = 5_000;
/** Re-send backoff while reconnecting: 100 ms, doubling, at most 1 s. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 1_000;
/**
 * A host refuses a request it cannot relay at once (503 not connected, on loopback within a few
 * ms); one that still holds a re-sent copy after this long has handed it to the extension.
 */
const HELD_AFTER_MS = 250;
/**
 * A host that drops a delivered request without a word (killed, crashed) is not the browser
 * stopping the extension's worker (that host answers 503 ERR_EXTENSION_DISCONNECTED first). The
 * extension starts a new host at once (its first retry is 250 ms); if none answers within this
 * long, the request ends (exit 3) instead of waiting for its expiry.
 */
export const HOST_BACK_WITHIN_MS = 600;

type Attempt = { ok: true; body: unknown } | { ok: false; error: HitlError; delivered: boolean; held: boolean };

/*
 * Send a request that stays open until the human decides. Our deadline and the caller's abort
 * both abort one controller with a HitlError, so the reason tells us who ended the exchange:
 * only our own ending may become a withdrawal; whatever the host says is its word.
 *
 * Reconnecting: MV3 may stop the extension's service worker while the window is open; that
 * closes the native port and ends the host process (503 ERR_EXTENSION_DISCONNECTED, or the
 * connection drops after our request was written). The window stays, and the next click
 * restarts the worker, which starts a new host. So a *delivered* request is re-sent, byte for
 * byte, until the challenge expires; meanwhile "nothing listens" and "not connected yet" are
 * expected. A first attempt that finds no host still fails at once. A delivered request dropped
 * without an answer waits only HOST_BACK_WITHIN_MS for a new host.
 */
export async function askHost(options: AskHostOptions): Promise<HostAnswer> {
  const stop = new AbortController();
  const lifetime = `${options.what} request`;
  const expiresAtMs = options.exp * 1000;
  const link = new LinkState(options.onLinkChange);
  const timer = setTimeout(
    () =>
      stop.abort(
        new HitlError(
          "ERR_TIMEOUT",
          `No answer to the ${lifetime} before it expired, and the signing host did not say why; nothing was signed. Run the command again, or 'hitl doctor' if this repeats.`,
        ),
      ),
    Math.max(0, expiresAtMs + HOST_GRACE_MS - options.clock()),
  );
  const onCallerAbort = (): void =>
    stop.abort(
      link.lost
        ? new HitlError(
            "ERR_WITHDRAWN",
            `You withdrew the ${lifetime} while the browser was disconnected; hitl will not use any answer to it. Its window may stay open until it expires, and whatever it signs is never used.`,
          )
        : new HitlError(
            "ERR_WITHDRAWN",
            `You withdrew the ${lifetime} before a decision; the browser window was closed and nothing was signed.`,
          ),
    );
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener("abort", onCallerAbort, { once: true });
  const body = encodeJsonBody(options.body);
  let retryMs = FIRST_RETRY_MS;
  /** When a host dropped a delivered copy without answering, until any host answers again. */
  let droppedAt: number | undefined;
  let droppedWith = "";
  let delivered = false;
  const onFirstDelivery = (): void => {
    if (delivered) return;
    delivered = true;
    options.onDelivered?.();
  };
  try {
    for (let first = true; ; first = false) {
      const attempt = await attemptOnce(options, body, stop.signal, link, first, onFirstDelivery);
      if (attempt.ok) return attempt;
      const { error } = attempt;
      if (stop.signal.aborted && error === stop.signal.reason) return { ok: false, error, local: true };
      if (options.resend !== true) return { ok: false, error, local: false };
      const socket = socketFailure(error);
      const lost = error.code === "ERR_EXTENSION_DISCONNECTED" || (attempt.delivered && socket !== undefined);
      const notBackYet = socket !== undefined || error.code === "ERR_EXTENSION_NOT_CONNECTED";
      if (!(lost || (link.reconnecting && notBackYet))) return { ok: false, error, local: false };
      if (socket === undefined)
        droppedAt = undefined; // a host answered: it is back
      else if (attempt.delivered && droppedAt === undefined) {
        droppedAt = options.clock();
        droppedWith = socket;
      }
      if (droppedAt !== undefined && options.clock() - droppedAt >= HOST_BACK_WITHIN_MS) {
        return { ok: false, error: hostDied(options, lifetime, droppedWith), local: true };
      }
      if (lost) {
        // Lost again after a re-sent copy was held: the browser was back, so start the backoff over.
        if (!link.reconnecting || attempt.held) retryMs = FIRST_RETRY_MS;
        link.markLost();
      }
      const untilGiveUp = droppedAt === undefined ? Number.POSITIVE_INFINITY : droppedAt + HOST_BACK_WITHIN_MS - options.clock();
      const wait = Math.min(retryMs, expiresAtMs - options.clock(), Math.max(untilGiveUp, 1));
      if (wait <= 0 || !(await sleep(wait, stop.signal))) {
        if (stop.signal.aborted) return { ok: false, error: stop.signal.reason as HitlError, local: true };
        return {
          ok: false,
          error: new HitlError(
            "ERR_TIMEOUT",
            `The browser connection was lost while the ${lifetime} was pending and did not come back before it expired; no decision reached hitl and nothing is approved. Run the command again, and 'hitl doctor' if this repeats.`,
          ),
          local: true,
        };
      }
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onCallerAbort);
  }
}

function hostDied(options: AskHostOptions, lifetime: string, failure: string): HitlError {
  const log = options.hostLogFile === undefined ? "its log" : `its log (${options.hostLogFile})`;
  return new HitlError(
    "ERR_HOST_UNREACHABLE",
    `The signing host on 127.0.0.1:${options.port} dropped the ${lifetime} without answering (${failure}) and no new host took it within ${HOST_BACK_WITHIN_MS} ms: it was killed or crashed. Nothing was approved. See ${log} for why, restart the browser if 'hitl doctor' finds no host, then run the command again.`,
  );
}

/** Whether we are re-sending, and whether the browser side is away right now (for the caller's display). */
class LinkState {
  /** Set once the first delivered copy was lost; from then on the request is re-sent. */
  reconnecting = false;
  lost = false;
  readonly #notify: AskHostOptions["onLinkChange"];

  constructor(notify: AskHostOptions["onLinkChange"]) {
    this.#notify = notify;
  }

  markLost(): void {
    this.reconnecting = true;
    if (this.lost) return;
    this.lost = true;
    this.#notify?.("lost");
  }

  markHeld(): void {
    if (!this.lost) return;
    this.lost = false;
    this.#notify?.("restored");
  }
}

/**
 * One POST of the (already encoded) body. Says whether it was fully written before it failed,
 * and whether a host held it long enough to have relayed it (see HELD_AFTER_MS).
 */
async function attemptOnce(
  options: AskHostOptions,
  body: Buffer,
  signal: AbortSignal,
  link: LinkState,
  first: boolean,
  onFirstDelivery: () => void,
): Promise<Attempt> {
  let delivered = false;
  let held = false;
  let heldTimer: NodeJS.Timeout | undefined;
  const onDelivered = (): void => {
    delivered = true;
    onFirstDelivery();
    heldTimer = setTimeout(() => {
      held = true;
      link.markHeld();
    }, HELD_AFTER_MS);
  };
  try {
    const sent = exchangeWithHost({
      port: options.port,
      secret: options.secret,
      method: "POST",
      path: options.path,
      body,
      signal,
      maxResponseBytes: options.maxResponseBytes,
      onDelivered,
      ...(first && options.earlySign !== undefined && { early: options.earlySign }),
    });
    if (first) options.onSent?.();
    return { ok: true, body: await sent };
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return { ok: false, error, delivered, held };
  } finally {
    clearTimeout(heldTimer);
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (slept: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(slept);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The one member of a 200 body (`receipt`, `pairing`); anything else is left for the parser to name. */
export function soleMember(body: unknown, name: string): unknown {
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const keys = Object.keys(body);
    if (keys.length === 1 && keys[0] === name) return (body as Record<string, unknown>)[name];
  }
  return body;
}
