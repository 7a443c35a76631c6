import { HitlError } from "@hitl/verifier";
import { exchangeWithHost } from "./host-http.js";

export interface AskHostOptions {
  port: number;
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
}

/** The host answered 200 with `body`, or the exchange failed and `local` says whether we ended it. */
export type HostAnswer = { ok: true; body: unknown } | { ok: false; error: HitlError; local: boolean };

/** How long past `exp` we wait for the host's own 408 before giving up on it. */
const HOST_GRACE_MS = 5_000;

/**
 * Send a request that stays open until the human decides. Our deadline and the caller's abort
 * both abort one controller with a HitlError, so the reason tells us who ended the exchange:
 * only our own ending may become a withdrawal; whatever the host says is its word.
 */
export async function askHost(options: AskHostOptions): Promise<HostAnswer> {
  const stop = new AbortController();
  const lifetime = `${options.what} request`;
  const timer = setTimeout(
    () =>
      stop.abort(
        new HitlError(
          "ERR_TIMEOUT",
          `No answer to the ${lifetime} before it expired, and the signing host did not say why; nothing was signed. Run the command again, or 'hitl doctor' if this repeats.`,
        ),
      ),
    Math.max(0, options.exp * 1000 + HOST_GRACE_MS - options.clock()),
  );
  const onCallerAbort = (): void =>
    stop.abort(
      new HitlError(
        "ERR_WITHDRAWN",
        `You withdrew the ${lifetime} before a decision; the browser window was closed and nothing was signed.`,
      ),
    );
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener("abort", onCallerAbort, { once: true });
  try {
    const sent = exchangeWithHost({
      port: options.port,
      method: "POST",
      path: options.path,
      body: options.body,
      signal: stop.signal,
      maxResponseBytes: options.maxResponseBytes,
    });
    options.onSent?.();
    return { ok: true, body: await sent };
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return { ok: false, error, local: stop.signal.aborted && error === stop.signal.reason };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onCallerAbort);
  }
}

/** The one member of a 200 body (`receipt`, `pairing`); anything else is left for the parser to name. */
export function soleMember(body: unknown, name: string): unknown {
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const keys = Object.keys(body);
    if (keys.length === 1 && keys[0] === name) return (body as Record<string, unknown>)[name];
  }
  return body;
}
