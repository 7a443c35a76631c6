import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { REALM_FILE } from "../../oauth/stand-in/realm-model.js";
import { KEY_ENTRY_PATTERN } from "../src/keys/lib/key-entry.js";
import {
  APPROVER_ROLE,
  EXTENSION_CLIENT_ID,
  EXTENSION_REDIRECT_URIS,
  KEYCLOAK_REALM,
  KEYS_ATTRIBUTE,
  MAX_KEYS_PER_USER,
  SERVER_CLIENT_ID,
  VERIFIER_CLIENT_ID,
  VERIFY_ROLE,
} from "../src/keys/lib/keycloak-realm.js";

/*
 * The realm export (oauth/realm-hitl.json, what Keycloak imports and what the stand-in loads)
 * and the code agree on every name and rule the code relies on. A rename on either side fails here.
 */

/** Keycloak's import replaces ${NAME} with the environment variable NAME. */
const SECRET_PLACEHOLDER = ["$", "{HITL_SERVER_CLIENT_SECRET}"].join("");
const VERIFIER_SECRET_PLACEHOLDER = ["$", "{HITL_VERIFIER_CLIENT_SECRET}"].join("");
const realmPath = fileURLToPath(new URL("../../oauth/realm-hitl.json", import.meta.url));
const realm = JSON.parse(readFileSync(realmPath, "utf8"));
const extensionIds = JSON.parse(readFileSync(fileURLToPath(new URL("../../extension/extension-id.json", import.meta.url)), "utf8"));
const client = (id: string) => realm.clients.find((candidate: { clientId: string }) => candidate.clientId === id);
const profile = JSON.parse(realm.components["org.keycloak.userprofile.UserProfileProvider"][0].config["kc.user.profile.config"][0]);
const keysAttribute = profile.attributes.find((attribute: { name: string }) => attribute.name === KEYS_ATTRIBUTE);

describe("realm export ↔ code", () => {
  it("the stand-in loads the very file Keycloak imports", () => {
    expect(fileURLToPath(REALM_FILE)).toBe(realmPath);
    expect(realm.realm).toBe(KEYCLOAK_REALM);
  });

  it("the realm's security settings: no self-registration, brute-force detection, short access tokens, refresh tokens single use", () => {
    expect(realm).toMatchObject({
      enabled: true,
      sslRequired: "external",
      registrationAllowed: false,
      resetPasswordAllowed: false,
      editUsernameAllowed: false,
      bruteForceProtected: true,
      revokeRefreshToken: true,
      refreshTokenMaxReuse: 0,
    });
    expect(realm.accessTokenLifespan).toBeLessThanOrEqual(300);
    expect(realm.failureFactor).toBeGreaterThan(0);
  });

  it("realm roles hitl-approver and hitl-verify exist; the extension's tokens may carry only hitl-approver, hitl-verifier's only hitl-verify", () => {
    expect(realm.roles.realm.map((role: { name: string }) => role.name)).toEqual([APPROVER_ROLE, VERIFY_ROLE]);
    expect(realm.scopeMappings).toEqual([
      { client: EXTENSION_CLIENT_ID, roles: [APPROVER_ROLE] },
      { client: VERIFIER_CLIENT_ID, roles: [VERIFY_ROLE] },
    ]);
  });

  it("hitl-extension: public, Authorization Code + PKCE S256 only, the redirect URIs of both browsers' identity APIs", () => {
    const extension = client(EXTENSION_CLIENT_ID);
    expect(extension).toMatchObject({
      publicClient: true,
      standardFlowEnabled: true,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
      fullScopeAllowed: false,
      attributes: { "pkce.code.challenge.method": "S256", "oauth2.device.authorization.grant.enabled": "false" },
    });
    expect(extension.redirectUris).toEqual([...EXTENSION_REDIRECT_URIS]);
    // The team window's token requests carry Origin chrome-extension://<id>; Keycloak (26.6.3 on)
    // refuses an Origin that is not a web origin of the client. No web page's origin is listed.
    expect(extension.webOrigins).toEqual([`chrome-extension://${extensionIds.chromiumId}`]);
    // Chromium: https://<extension id>.chromiumapp.org/ ; Firefox: https://<hex SHA-1 of the add-on id>.extensions.allizom.org/
    const chromiumId = [...createHash("sha256").update(Buffer.from(extensionIds.manifestKey, "base64")).digest().subarray(0, 16)]
      .map((byte) => String.fromCharCode(97 + (byte >> 4)) + String.fromCharCode(97 + (byte & 15)))
      .join("");
    expect(chromiumId).toBe(extensionIds.chromiumId);
    const firefoxHash = createHash("sha1").update(extensionIds.firefoxId).digest("hex");
    expect(EXTENSION_REDIRECT_URIS).toEqual([`https://${chromiumId}.chromiumapp.org/*`, `https://${firefoxHash}.extensions.allizom.org/*`]);
    // Its access tokens name the hitl server as audience (the server checks aud).
    expect(extension.protocolMappers).toContainEqual(
      expect.objectContaining({
        protocolMapper: "oidc-audience-mapper",
        config: expect.objectContaining({ "included.client.audience": SERVER_CLIENT_ID, "access.token.claim": "true" }),
      }),
    );
  });

  it("hitl-server: confidential, service account only, its secret from the environment (none committed)", () => {
    expect(client(SERVER_CLIENT_ID)).toMatchObject({
      publicClient: false,
      clientAuthenticatorType: "client-secret",
      secret: SECRET_PLACEHOLDER,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      fullScopeAllowed: false,
      redirectUris: [],
    });
    const placeholders = new Set(readFileSync(realmPath, "utf8").match(/\$\{[A-Z][A-Z0-9_]*\}/g));
    expect([...placeholders]).toEqual([SECRET_PLACEHOLDER, VERIFIER_SECRET_PLACEHOLDER]);
  });

  it("hitl-verifier: the same shape, read-only, its own secret from the environment", () => {
    const { clientId, secret, name, description, ...rest } = client(VERIFIER_CLIENT_ID);
    const { clientId: _c, secret: _s, name: _n, description: _d, ...serverRest } = client(SERVER_CLIENT_ID);
    expect(rest).toEqual(serverRest);
    expect(secret).toBe(VERIFIER_SECRET_PLACEHOLDER);
  });

  it("service accounts: hitl-server holds exactly view-users + manage-users, hitl-verifier only view-users; mapped and in scope", () => {
    const account = (id: string) => realm.users.find((user: { serviceAccountClientId?: string }) => user.serviceAccountClientId === id);
    expect(account(SERVER_CLIENT_ID)).toMatchObject({ username: `service-account-${SERVER_CLIENT_ID}`, enabled: true, realmRoles: [] });
    expect(account(SERVER_CLIENT_ID).clientRoles).toEqual({ "realm-management": ["view-users", "manage-users"] });
    // hitl-verify lets it call the hitl server's POST /v1/verify; it is no approver (a service account never is).
    expect(account(VERIFIER_CLIENT_ID)).toMatchObject({
      username: `service-account-${VERIFIER_CLIENT_ID}`,
      enabled: true,
      realmRoles: [VERIFY_ROLE],
    });
    expect(account(VERIFIER_CLIENT_ID).clientRoles).toEqual({ "realm-management": ["view-users"] });
    expect(realm.users).toHaveLength(2);
    expect(realm.clientScopeMappings).toEqual({
      "realm-management": [
        { client: SERVER_CLIENT_ID, roles: ["view-users", "manage-users"] },
        { client: VERIFIER_CLIENT_ID, roles: ["view-users"] },
      ],
    });
  });

  it("hitl_keys: multivalued, users view, only admins edit, values match the code's entry pattern and limits", () => {
    expect(keysAttribute).toMatchObject({ multivalued: true, permissions: { view: ["admin", "user"], edit: ["admin"] } });
    expect(keysAttribute.validations.pattern.pattern).toBe(KEY_ENTRY_PATTERN.source);
    expect(Number(keysAttribute.validations.multivalued.max)).toBe(MAX_KEYS_PER_USER);
    // 112 = "v1." + 43 + "." + 43 + "." + 10 + "." + 10; 123 with ".<revokedAt>"
    expect(keysAttribute.validations.length).toEqual({ min: 112, max: 123 });
    // docs/protocol.md §3.7 states the same expression.
    const protocol = readFileSync(fileURLToPath(new URL("../../docs/protocol.md", import.meta.url)), "utf8");
    const section = protocol.slice(protocol.indexOf("### 3.7 Team mode"), protocol.indexOf("## 4. Verification"));
    expect(section).toContain(`\`${KEY_ENTRY_PATTERN.source}\``);
  });

  it("users cannot add attributes of their own (no unmanagedAttributePolicy = DISABLED), and edit only their name and email", () => {
    expect(profile).not.toHaveProperty("unmanagedAttributePolicy");
    const userEditable = profile.attributes.filter((attribute: { permissions?: { edit?: string[] } }) =>
      attribute.permissions?.edit?.includes("user"),
    );
    expect(userEditable.map((attribute: { name: string }) => attribute.name).sort()).toEqual([
      "email",
      "firstName",
      "lastName",
      "username",
    ]);
  });
});
