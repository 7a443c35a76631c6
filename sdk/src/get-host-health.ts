import { type HealthResponseBody, HitlError, parseExtensionStatus, readHostSecret, resolvePaths } from "@hitl/verifier";
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
  const broken = (what: string): never => {
    throw new HitlError(
      "ERR_PROTOCOL",
      `127.0.0.1:${port} answered /health, but ${what}; it is not a compatible hitl signing host. Update hitl, or set HITL_PORT to the right port.`,
    );
  };
  if (typeof body !== "object" || body === null) return broken("not with a JSON object");
  const { host, extension } = body as { host?: unknown; extension?: unknown };
  if (typeof host !== "object" || host === null) return broken("without a host member");
  const { version, pid, port: hostPort } = host as { version?: unknown; pid?: unknown; port?: unknown };
  if (typeof version !== "string" || !Number.isSafeInteger(pid) || !Number.isSafeInteger(hostPort)) {
    return broken("its host member is not {version, pid, port}");
  }
  const hostInfo = { version, pid: pid as number, port: hostPort as number };
  if (typeof extension !== "object" || extension === null) return broken("without an extension member");
  const { connected, extensionVersion, browser, ...status } = extension as Record<string, unknown>;
  if (connected === false) return { host: hostInfo, extension: { connected: false } };
  if (connected !== true || typeof extensionVersion !== "string" || typeof browser !== "string") {
    return broken("its extension member is not a connection state");
  }
  let parsedStatus: ReturnType<typeof parseExtensionStatus>;
  try {
    parsedStatus = parseExtensionStatus(status, "health.extension");
  } catch (error) {
    return broken(`its extension status is invalid (${(error as Error).message})`);
  }
  return { host: hostInfo, extension: { connected: true, extensionVersion, browser, ...parsedStatus } };
}
