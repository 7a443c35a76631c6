import { type HealthResponseBody, HitlError, readHostSecret, resolvePaths } from "@hitl/verifier";
import { parseHealthResponseBody } from "@hitl/verifier/protocol";
import { exchangeWithHost } from "./lib/host-http.js";
import { resolvePort } from "./lib/resolve-port.js";

export interface GetHostHealthOptions {
  port?: number;
  /** Give up after this long: a host that cannot answer /health quickly is not usable. Default 2000. */
  timeoutMs?: number;
  /** HITL_PORT and the config dir (the host secret) come from here (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The host secret, when the caller has read it already (default: read from the config dir). */
  secret?: Uint8Array;
}

/** GET /health: the host's true state (is the extension connected, does it hold a key). */
export async function getHostHealth(options: GetHostHealthOptions = {}): Promise<HealthResponseBody> {
  const env = options.env ?? process.env;
  const port = options.port ?? resolvePort(undefined, env);
  const secret = options.secret ?? readHostSecret(resolvePaths(env).hostSecretFile);
  const timeoutMs = options.timeoutMs ?? 2000;
  const stop = new AbortController();
  const timer = setTimeout(
    () =>
      stop.abort(
        new HitlError(
          "ERR_HOST_UNREACHABLE",
          `The program on 127.0.0.1:${port} did not answer GET /health within ${timeoutMs} ms. Restart the browser, or check what uses the port.`,
        ),
      ),
    timeoutMs,
  );
  try {
    const body = await exchangeWithHost({ port, secret, method: "GET", path: "/health", signal: stop.signal, maxResponseBytes: 16 * 1024 });
    return parseHealth(body, port);
  } finally {
    clearTimeout(timer);
  }
}

function parseHealth(body: unknown, port: number): HealthResponseBody {
  try {
    return parseHealthResponseBody(body);
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    throw new HitlError(
      "ERR_PROTOCOL",
      `127.0.0.1:${port} answered /health, but not as a hitl signing host does (${error.message}). Update hitl, or set HITL_PORT to the right port.`,
    );
  }
}
