import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { EXTENSION_CLIENT_ID as EXTENSION_CLIENT_ID_IN_EXTENSION, FRESH_LOGIN_SECONDS } from "../../extension/src/lib/team-messages.js";
import {
  APPROVER_ROLE,
  EXTENSION_CLIENT_ID,
  KEYCLOAK_REALM,
  SERVER_CLIENT_ID,
  VERIFIER_CLIENT_ID,
} from "../src/keys/lib/keycloak-realm.js";

/*
 * docker-compose.yml, .env.example, oauth/Caddyfile, the realm export and the code agree: every
 * environment variable, client id, role, origin and port the code and the deployment rely on.
 * A rename on one side fails here.
 */
const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const text = (path: string) => readFileSync(root(path), "utf8");
const compose = parse(text("docker-compose.yml"));
const realm = JSON.parse(text("oauth/realm-hitl.json"));
const extensionIds = JSON.parse(text("extension/extension-id.json"));
const protocol = text("docs/protocol.md");
const envExample = new Map(
  text(".env.example")
    .split("\n")
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const),
);
const service = (name: string) => compose.services[name];
/** ${NAME}, ${NAME:?msg}, ${NAME:-default} in the compose file. */
const composeVariables = [...text("docker-compose.yml").matchAll(/\$\{([A-Z_]+)(:[?-][^}]*)?\}/g)].map((m) => ({
  name: m[1]!,
  rest: m[2],
}));
const client = (id: string) => realm.clients.find((c: { clientId: string }) => c.clientId === id);

describe("deployment ↔ realm ↔ code", () => {
  it("every variable the compose file reads is in .env.example, and every .env.example entry is used", () => {
    const used = new Set(composeVariables.map((v) => v.name));
    expect([...used].sort()).toEqual([...envExample.keys()].sort());
  });

  it("no secret has a default: each is required (`:?`) and empty in .env.example", () => {
    const secrets = [
      "KC_BOOTSTRAP_ADMIN_USERNAME",
      "KC_BOOTSTRAP_ADMIN_PASSWORD",
      "HITL_SERVER_CLIENT_SECRET",
      "HITL_VERIFIER_CLIENT_SECRET",
      "HITL_REDIS_PASSWORD",
    ];
    for (const name of secrets) {
      const uses = composeVariables.filter((v) => v.name === name);
      expect(uses.length, name).toBeGreaterThan(0);
      for (const use of uses) expect(use.rest?.startsWith(":?"), `${name} must be required`).toBe(true);
      expect(envExample.get(name), name).toBe("");
    }
  });

  it("Keycloak 26 imports the realm file with the client secrets the realm names; admin console on loopback only", () => {
    const keycloak = service("keycloak");
    expect(keycloak.image).toMatch(/^quay\.io\/keycloak\/keycloak:26(\.|$)/);
    expect(keycloak.command).toContain("--import-realm");
    expect(keycloak.volumes).toContain("./oauth/realm-hitl.json:/opt/keycloak/data/import/realm-hitl.json:ro");
    const placeholders = [...text("oauth/realm-hitl.json").matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]);
    expect(placeholders.length).toBeGreaterThan(0);
    for (const name of placeholders) expect(Object.keys(keycloak.environment), name).toContain(name);
    // Keycloak shares Caddy's namespace; its port is published there, on loopback only.
    expect(keycloak.network_mode).toBe("service:caddy");
    expect(keycloak.ports).toBeUndefined();
    expect(service("caddy").ports).toContain("127.0.0.1:8080:8080");
    expect(service("caddy").ports.filter((port: string) => port.endsWith(":8080"))).toEqual(["127.0.0.1:8080:8080"]);
    expect(keycloak.environment.KC_HOSTNAME_ADMIN).toBe("http://localhost:8080");
    // Caddy forwards the realm endpoints and static resources, never /admin.
    const caddy = text("oauth/Caddyfile")
      .split("\n")
      .filter((line) => !line.trimStart().startsWith("#"))
      .join("\n");
    expect(caddy).toMatch(/@public path \/realms\/\* \/resources\/\*/);
    expect(caddy).not.toMatch(/\/admin/);
    expect(caddy).toContain("reverse_proxy 127.0.0.1:8080");
  });

  it("Redis: password, AOF with fsync always, no eviction, not published", () => {
    const redis = service("redis");
    const command = redis.command.join(" ");
    expect(command).toContain('--requirepass "$$HITL_REDIS_PASSWORD"');
    expect(command).toContain("--appendonly yes --appendfsync always --maxmemory-policy noeviction");
    expect(redis.ports).toBeUndefined();
  });

  it("the hitl server: loopback plain HTTP behind Caddy, the environment docs/protocol.md §9 names, the client the realm has", () => {
    const server = service("hitl-server");
    expect(server.network_mode).toBe("service:caddy");
    expect(server.command).toEqual(["server", "--host", "127.0.0.1", "--port", "8443", "--insecure-http"]);
    expect(text("oauth/Caddyfile")).toContain("reverse_proxy 127.0.0.1:8443");
    for (const name of Object.keys(server.environment)) expect(protocol, `${name} in protocol.md §9`).toContain(`\`${name}\``);
    expect(server.environment.HITL_SERVER_CLIENT_SECRET).toMatch(/HITL_SERVER_CLIENT_SECRET/);
    expect(client(SERVER_CLIENT_ID).secret).toBe(["$", "{HITL_SERVER_CLIENT_SECRET}"].join(""));
    // The server reaches Keycloak on loopback (token endpoint and Admin REST API, which Caddy does
    // not forward) and checks tokens against the issuer browsers see: the KC_HOSTNAME Keycloak has.
    expect(server.environment.HITL_KEYCLOAK_URL).toBe("http://127.0.0.1:8080");
    expect(server.environment.HITL_KEYCLOAK_ISSUER).toMatch(/^\$\{KC_HOSTNAME:[^}]*\}\/realms\/hitl$/);
    expect(service("keycloak").environment.KC_HOSTNAME).toMatch(/^\$\{KC_HOSTNAME:/);
    expect(realm.realm).toBe(KEYCLOAK_REALM);
  });

  it("the extension: its client id, origin and redirect URIs are the realm's; it asks for logins at most 120 s old", () => {
    expect(EXTENSION_CLIENT_ID_IN_EXTENSION).toBe(EXTENSION_CLIENT_ID);
    const extension = client(EXTENSION_CLIENT_ID);
    expect(extension.webOrigins).toEqual([`chrome-extension://${extensionIds.chromiumId}`]);
    expect(extension.redirectUris).toContain(`https://${extensionIds.chromiumId}.chromiumapp.org/*`);
    expect(FRESH_LOGIN_SECONDS).toBe(120);
    expect(protocol).toContain("`now − auth_time ≤ 120`");
    expect(realm.roles.realm.map((r: { name: string }) => r.name)).toContain(APPROVER_ROLE);
  });

  it("the CLI's default /v1/verify client is a confidential client of the realm with client credentials", () => {
    const cliDefault = /"hitl-verifier"/.test(text("cli/src/commands/setup.ts"));
    expect(cliDefault).toBe(true);
    expect(VERIFIER_CLIENT_ID).toBe("hitl-verifier");
    expect(client(VERIFIER_CLIENT_ID)).toMatchObject({ publicClient: false, serviceAccountsEnabled: true, standardFlowEnabled: false });
  });
});
