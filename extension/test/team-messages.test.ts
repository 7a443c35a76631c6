import { describe, expect, test } from "vitest";
import { parseServiceUrl, parseTeamConfig } from "../src/lib/team-messages.js";
import { parseUiRequest } from "../src/lib/ui-messages.js";

const SUB = "05f8e805-fefd-4275-bafb-2fa4e9b09c1a";
const KID = "A".repeat(43);

describe("team addresses", () => {
  test("https anywhere, plain http only to loopback; no credentials, query or fragment; normalized", () => {
    expect(parseServiceUrl("https://id.example.com/")).toBe("https://id.example.com");
    expect(parseServiceUrl("https://ID.example.com/auth/")).toBe("https://id.example.com/auth");
    expect(parseServiceUrl("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(parseServiceUrl("http://localhost:8080/")).toBe("http://localhost:8080");
    expect(parseServiceUrl("http://id.example.com")).toBeUndefined();
    expect(parseServiceUrl("https://u:p@id.example.com")).toBeUndefined();
    expect(parseServiceUrl("https://id.example.com/?x=1")).toBeUndefined();
    expect(parseServiceUrl("https://id.example.com/#f")).toBeUndefined();
    expect(parseServiceUrl("javascript:alert(1)")).toBeUndefined();
    expect(parseServiceUrl(`https://${"a".repeat(2050)}.com`)).toBeUndefined();
    expect(parseServiceUrl(42)).toBeUndefined();
  });

  test("a configuration has exactly keycloakUrl, realm, serverUrl", () => {
    const good = { keycloakUrl: "https://id.example.com", realm: "hitl", serverUrl: "https://hitl.example.com" };
    expect(parseTeamConfig(good)).toEqual(good);
    expect(parseTeamConfig({ ...good, extra: 1 })).toBeUndefined();
    expect(parseTeamConfig({ ...good, realm: "../admin" })).toBeUndefined();
    expect(parseTeamConfig({ ...good, serverUrl: "http://hitl.example.com" })).toBeUndefined();
  });
});

describe("team messages from pages", () => {
  test("parsed strictly: the worker never receives a token field, and unknown team.* types are dropped", () => {
    expect(parseUiRequest({ type: "team.status" })).toEqual({ type: "team.status" });
    expect(parseUiRequest({ type: "team.signRegistration", iss: "http://127.0.0.1:1/realms/hitl", sub: SUB })).toEqual({
      type: "team.signRegistration",
      iss: "http://127.0.0.1:1/realms/hitl",
      sub: SUB,
    });
    // No message shape carries a token: one with a token member is not a message at all.
    expect(parseUiRequest({ type: "team.signRegistration", iss: "x", sub: SUB, token: "eyJ…" })).toBeUndefined();
    expect(parseUiRequest({ type: "team.registered", sub: SUB, username: "alice", kid: KID, expiresAt: 1_800_000_000 })).toEqual({
      type: "team.registered",
      sub: SUB,
      username: "alice",
      kid: KID,
      expiresAt: 1_800_000_000,
    });
    expect(parseUiRequest({ type: "team.registered", sub: SUB, username: "alice", kid: "short", expiresAt: 1 })).toBeUndefined();
    expect(parseUiRequest({ type: "team.registered", sub: "a\nb", username: "alice", kid: KID, expiresAt: 1 })).toBeUndefined();
    // The protocol's one-line name rules: no bidi override, no invisible-only name.
    expect(parseUiRequest({ type: "team.registered", sub: SUB, username: "ecila\u202e", kid: KID, expiresAt: 1 })).toBeUndefined();
    expect(parseUiRequest({ type: "team.registered", sub: SUB, username: "\u200b", kid: KID, expiresAt: 1 })).toBeUndefined();
    expect(parseUiRequest({ type: "team.signRegistration", iss: "http://127.0.0.1:1/realms/hitl", sub: "a\u2066b" })).toBeUndefined();
    expect(parseUiRequest({ type: "team.setToken", token: "x" })).toBeUndefined();
    expect(
      parseUiRequest({
        type: "team.configure",
        config: { keycloakUrl: "http://evil.example", realm: "hitl", serverUrl: "https://x.example" },
      }),
    ).toBeUndefined();
  });
});

describe("team window ↔ worker messages for hitl keys (team.cli.*)", () => {
  const requestId = "0b9d6f0e-2f4c-4d5a-9b1e-3c2d1e0f4a5b";

  test("each parses to exactly its members", () => {
    expect(parseUiRequest({ type: "team.cli.get", signedIn: true })).toEqual({ type: "team.cli.get", signedIn: true });
    expect(parseUiRequest({ type: "team.cli.listed", requestId, keys: [] })).toEqual({ type: "team.cli.listed", requestId, keys: [] });
    expect(parseUiRequest({ type: "team.cli.revoked", requestId, kid: KID })).toEqual({ type: "team.cli.revoked", requestId, kid: KID });
    expect(parseUiRequest({ type: "team.cli.fail", requestId, code: "ERR_KEYS_REVOKE_CANCELLED", message: "m" })).toEqual({
      type: "team.cli.fail",
      requestId,
      code: "ERR_KEYS_REVOKE_CANCELLED",
      message: "m",
    });
  });

  test("no token member, no malformed id, kid or code gets through", () => {
    expect(parseUiRequest({ type: "team.cli.get", signedIn: true, token: "eyJ" })).toBeUndefined();
    expect(parseUiRequest({ type: "team.cli.get", signedIn: "yes" })).toBeUndefined();
    expect(parseUiRequest({ type: "team.cli.listed", requestId, keys: [], accessToken: "eyJ" })).toBeUndefined();
    expect(parseUiRequest({ type: "team.cli.revoked", requestId: "not-a-uuid", kid: KID })).toBeUndefined();
    expect(parseUiRequest({ type: "team.cli.revoked", requestId, kid: "short" })).toBeUndefined();
    expect(parseUiRequest({ type: "team.cli.fail", requestId, code: "err lower", message: "m" })).toBeUndefined();
    expect(parseUiRequest({ type: "team.cli.fail", requestId, code: "ERR_X", message: "m".repeat(2049) })).toBeUndefined();
  });
});
