import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNING_PREFIXES } from "../src/protocol/constants.js";
import { KEY_REGISTRATION, parseKeyRegistration, parseKeyRegistrationStatement } from "../src/protocol/key-registration.js";
import { signingInput } from "../src/protocol/signing-input.js";
import type { KeyRegistrationStatement } from "../src/protocol/types.js";
import { makeApprover } from "../src/testing/index.js";

/* The team-mode registration statement (docs/protocol.md §3.8): strict parser and signing input. */

function statement(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const key = makeApprover();
  return {
    v: 1,
    iss: "https://sso.example.com/realms/hitl",
    sub: "3f2a8c1e-0000-4000-8000-000000000001",
    kid: key.kid,
    publicKey: Buffer.from(key.publicKey).toString("base64url"),
    aud: "https://hitl.example.com",
    iat: 1763760000,
    exp: 1763760120,
    nonce: randomBytes(32).toString("base64url"),
    ...overrides,
  };
}

describe("parseKeyRegistrationStatement", () => {
  it("returns exactly the known members, in JCS order", () => {
    const input = statement();
    const parsed = parseKeyRegistrationStatement(input);
    expect(Object.keys(parsed)).toEqual(["aud", "exp", "iat", "iss", "kid", "nonce", "publicKey", "sub", "v"]);
    expect(parsed).toEqual(input);
  });

  it.each([
    [{ label: "x" }, /label is not a known field/],
    [{ nonce: undefined }, /nonce is missing/],
    [{ iss: "not a url" }, /iss must be an absolute URL/],
    [{ aud: "ftp://hitl.example.com" }, /aud must be an http or https URL/],
    [{ aud: "https://user:pw@hitl.example.com" }, /must not carry user info/],
    [{ aud: "https://hitl.example.com/?x=1" }, /must not carry user info, a query or a fragment/],
    [{ aud: "https://HITL.example.com" }, /written canonically/],
    [{ sub: "alice\n" }, /sub/],
    [{ exp: 1763760000 }, /exp must be later than iat/],
    [{ exp: 1763760000 + KEY_REGISTRATION.maxLifetimeSeconds + 1 }, /at most 300 seconds after iat/],
  ])("refuses %o (ERR_MALFORMED)", (change, message) => {
    expect(() => parseKeyRegistrationStatement(statement(change))).toThrow(
      expect.objectContaining({ code: "ERR_MALFORMED", message: expect.stringMatching(message) }),
    );
  });

  it("a nonce of the wrong length is ERR_INVALID_ENCODING", () => {
    expect(() => parseKeyRegistrationStatement(statement({ nonce: "short" }))).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ENCODING", message: expect.stringMatching(/nonce must be 43 base64url characters/) }),
    );
  });

  it("another version is ERR_UNSUPPORTED_VERSION, before anything else", () => {
    expect(() => parseKeyRegistrationStatement(statement({ v: 2, extra: 1 }))).toThrow(
      expect.objectContaining({ code: "ERR_UNSUPPORTED_VERSION" }),
    );
  });

  it("accepts a bare origin with or without the final slash", () => {
    expect(parseKeyRegistrationStatement(statement({ aud: "https://hitl.example.com/" })).aud).toBe("https://hitl.example.com/");
    expect(parseKeyRegistrationStatement(statement({ aud: "https://hitl.example.com/hitl" })).aud).toBe("https://hitl.example.com/hitl");
  });
});

describe("parseKeyRegistration and the signing input", () => {
  it("the body is {statement, sig}; sig is 86 base64url characters", () => {
    const body = { statement: statement(), sig: "A".repeat(86) };
    expect(parseKeyRegistration(body)).toEqual(body);
    expect(() => parseKeyRegistration({ ...body, sig: "A".repeat(85) })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ENCODING" }));
    expect(() => parseKeyRegistration({ ...body, kid: "x" })).toThrow(
      expect.objectContaining({ code: "ERR_MALFORMED", message: expect.stringMatching(/kid is not a known field/) }),
    );
  });

  it("signs prefix 'hitl/key-registration/v1' NUL || JCS(statement): never a decision's or a pairing's bytes", () => {
    const parsed = parseKeyRegistrationStatement(statement()) as KeyRegistrationStatement;
    const bytes = Buffer.from(signingInput("keyRegistration", parsed)).toString("utf8");
    expect(bytes.startsWith('hitl/key-registration/v1\u0000{"aud":')).toBe(true);
    expect(bytes.startsWith(SIGNING_PREFIXES.decision)).toBe(false);
    expect(bytes.startsWith(SIGNING_PREFIXES.pairing)).toBe(false);
  });
});
