import { HitlError, type KeysListResponseBody, type KeysRevokeResponseBody, type TeamKeyEntry } from "@hitl/verifier";
import { parseKeysListResponseBody, parseKeysRevokeResponseBody } from "@hitl/verifier/protocol";
import { encodeJsonBody, exchangeWithHost } from "./host-http.js";

/*
 * `hitl keys list|revoke` through the signing host (POST /keys/list, POST /keys/revoke): the
 * extension's team window answers, with its own login; this side only ever sees the public list.
 * The answer is authenticated like every host answer (host-http.ts) and then parsed by the
 * protocol's strict parsers.
 */
export interface HostKeysOptions {
  port: number;
  /** The host secret (readHostSecret). */
  secret: Uint8Array;
  /** Give up (and withdraw: the host closes the window) after this long. The host's own limit is 180 s. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Above any sane key list (at most 64 entries of ~120 bytes). */
const MAX_ANSWER_BYTES = 64 * 1024;

export async function listKeysThroughHost(options: HostKeysOptions): Promise<TeamKeyEntry[]> {
  const body = await exchange(options, "/keys/list", {});
  return parsed(() => parseKeysListResponseBody(body) satisfies KeysListResponseBody, options.port).keys;
}

export async function revokeKeyThroughHost(options: HostKeysOptions & { kid: string }): Promise<string> {
  const body = await exchange(options, "/keys/revoke", { kid: options.kid });
  const { kid } = parsed(() => parseKeysRevokeResponseBody(body) satisfies KeysRevokeResponseBody, options.port);
  if (kid !== options.kid) {
    throw new HitlError(
      "ERR_PROTOCOL",
      `The signing host reported the revocation of key ${kid}, not ${options.kid}; check with 'hitl keys list'.`,
    );
  }
  return kid;
}

async function exchange(options: HostKeysOptions, path: "/keys/list" | "/keys/revoke", value: unknown): Promise<unknown> {
  const stop = new AbortController();
  const seconds = Math.round(options.timeoutMs / 1000);
  const timer = setTimeout(
    () =>
      stop.abort(
        new HitlError(
          "ERR_TIMEOUT",
          `No answer from the team window within ${seconds} s; the request was withdrawn (the window closes). Nothing is reported as revoked; if you had confirmed, check with 'hitl keys list'.`,
        ),
      ),
    options.timeoutMs,
  );
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await exchangeWithHost({
      port: options.port,
      secret: options.secret,
      method: "POST",
      path,
      body: encodeJsonBody(value),
      signal: stop.signal,
      maxResponseBytes: MAX_ANSWER_BYTES,
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

function parsed<T>(parse: () => T, port: number): T {
  try {
    return parse();
  } catch (error) {
    throw new HitlError(
      "ERR_PROTOCOL",
      `The signing host on 127.0.0.1:${port} answered with a malformed key list (${(error as Error).message}); update hitl and the extension to matching versions.`,
    );
  }
}
