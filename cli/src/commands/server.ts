import { HitlError } from "@hitl/verifier";
import { defineCommand, EXIT } from "../lib/command.js";

export const command = defineCommand({
  name: "server",
  usage: "[--port N] [--host H] (--tls-cert FILE --tls-key FILE | --insecure-http)",
  description: `docs/protocol.md §9: key registration (POST/GET /v1/keys, DELETE /v1/keys/{kid}), receipt
verification for other services (POST /v1/verify) and GET /v1/health. Stateless apart from the
shared Redis; run as many as you like on one Redis.

Transport: TLS with --tls-cert/--tls-key, or --insecure-http on a loopback host only, behind a
TLS-terminating proxy on the same machine. Anything else is refused (ERR_INSECURE_TRANSPORT).`,
  options: {
    host: { type: "string", value: "H", help: "address to listen on (default 127.0.0.1)" },
    port: { type: "string", value: "N", help: "port (default 8443; 0 = a free port, printed on start)" },
    "tls-cert": { type: "string", value: "FILE", help: "PEM certificate chain" },
    "tls-key": { type: "string", value: "FILE", help: "PEM private key" },
    "insecure-http": { type: "boolean", help: "plain HTTP, loopback only (trusts X-Forwarded-For from loopback)" },
  },
  withdrawOnSignal: true,
  exits: { ok: "stopped by SIGINT or SIGTERM", error: "a bad command line or configuration" },
  notes: `Environment:
  HITL_SERVER_URL             public base URL (the registration statements' aud), required
  HITL_KEYCLOAK_URL           Keycloak base URL, required; HITL_KEYCLOAK_REALM (default hitl);
                              HITL_KEYCLOAK_ISSUER when Keycloak's public issuer differs
  HITL_SERVER_CLIENT_SECRET   secret of the hitl-server client, required
  HITL_KEYCLOAK_TIMEOUT_MS    per Keycloak call (default 3000)
  HITL_REDIS_URL              redis:// or rediss:// (TLS), required; HITL_REDIS_PASSWORD;
                              HITL_REDIS_PREFIX (default hitl:)
  HITL_KEY_LIFETIME_DAYS      lifetime of a registered key (default 30, 1..365)
  HITL_RATE_LIMIT_PER_MINUTE  per client IP (default 600)`,
  run: ({ values, signal }) => serve(values, signal),
});
export const run = command.run;

async function serve(
  values: { host?: string; port?: string; "tls-cert"?: string; "tls-key"?: string; "insecure-http"?: boolean },
  stopped: AbortSignal,
): Promise<number> {
  let port: number | undefined;
  if (values.port !== undefined) {
    if (!/^[0-9]{1,5}$/.test(values.port) || Number(values.port) > 65_535) {
      throw new HitlError("ERR_USAGE", `--port must be a port number (0..65535), got ${JSON.stringify(values.port)}.`);
    }
    port = Number(values.port);
  }
  // fastify, ioredis and the Keycloak admin client load only here, never on other commands' start-up.
  const { startServer } = await import("@hitl/server");
  const server = await startServer({
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(values["tls-cert"] !== undefined ? { tlsCert: values["tls-cert"] } : {}),
    ...(values["tls-key"] !== undefined ? { tlsKey: values["tls-key"] } : {}),
    ...(values["insecure-http"] === true ? { insecureHttp: true } : {}),
  });
  process.stdout.write(`hitl server listening on ${server.url} (public URL ${server.config.publicUrl})\n`);
  if (!stopped.aborted) await new Promise((resolve) => stopped.addEventListener("abort", resolve, { once: true }));
  await server.close();
  return EXIT.ok;
}
