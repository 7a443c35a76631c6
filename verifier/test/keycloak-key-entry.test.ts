import { describe, expect, it } from "vitest";
import { formatKeyEntry, parseKeyEntry } from "../src/keys/lib/key-entry.js";
import { encodeBase64url } from "../src/protocol/base64url.js";
import { makeApprover } from "../src/testing/index.js";

const approver = makeApprover("u");
const pub = encodeBase64url(approver.publicKey);
const active = `v1.${approver.kid}.${pub}.1767000000.1769592000`;

describe("hitl_keys entries (v1.<kid>.<publicKey>.<created>.<expires>[.<revoked>])", () => {
  it("parses an active and a revoked entry, and formats them back byte for byte", () => {
    expect(parseKeyEntry(active)).toEqual({
      kid: approver.kid,
      publicKey: approver.publicKey,
      createdAt: 1767000000,
      expiresAt: 1769592000,
    });
    expect(formatKeyEntry(parseKeyEntry(active))).toBe(active);
    const revoked = `${active}.1768000000`;
    expect(parseKeyEntry(revoked).revokedAt).toBe(1768000000);
    expect(formatKeyEntry(parseKeyEntry(revoked))).toBe(revoked);
    expect(active).toHaveLength(112);
    expect(revoked).toHaveLength(123);
  });

  const shape =
    'A hitl_keys value is not "v1.<kid>.<publicKey>.<created>.<expires>[.<revoked>]"; the key directory was written by something other than the hitl server. Have an admin remove the value.';
  it.each([
    ["another version", active.replace(/^v1/, "v2")],
    ["surrounding space", ` ${active}`],
    ["a trailing newline", `${active}\n`],
    ["a time with 9 digits", active.replace(".1769592000", ".969592000")],
    ["a time with a leading zero", active.replace(".1769592000", ".0769592000")],
    ["a padded key", active.replace(`.${pub}.`, `.${pub}=.`)],
    ["a missing field", active.replace(".1769592000", "")],
    ["an extra field", `${active}.1768000000.1768000001`],
    ["not a string", 42],
  ])("refuses %s: ERR_KEY_ENTRY_INVALID", (_, value) => {
    expect(() => parseKeyEntry(value)).toThrow(expect.objectContaining({ code: "ERR_KEY_ENTRY_INVALID", message: shape }));
  });

  it("refuses a kid that is not the key's thumbprint", () => {
    const other = makeApprover("o");
    expect(() => parseKeyEntry(active.replace(approver.kid, other.kid))).toThrow(
      expect.objectContaining({
        code: "ERR_KEY_ENTRY_INVALID",
        message: `The hitl_keys value for key ${other.kid} carries a public key with another thumbprint. Have an admin remove the value.`,
      }),
    );
  });

  it("refuses a weak (small-order) key even with its matching thumbprint", async () => {
    const { keyIdFromPublicKey } = await import("../src/digests.js");
    const identity = new Uint8Array(32);
    identity[0] = 1; // the neutral point
    const entry = `v1.${keyIdFromPublicKey(identity)}.${encodeBase64url(identity)}.1767000000.1769592000`;
    expect(() => parseKeyEntry(entry)).toThrow(expect.objectContaining({ code: "ERR_WEAK_PUBLIC_KEY" }));
  });

  it("refuses an entry that expires before it was created, or is revoked before it was created", () => {
    expect(() => parseKeyEntry(`v1.${approver.kid}.${pub}.1767000000.1767000000`)).toThrow(
      expect.objectContaining({
        code: "ERR_KEY_ENTRY_INVALID",
        message: `The hitl_keys value for key ${approver.kid} expires before it was created. Have an admin remove the value.`,
      }),
    );
    expect(() => parseKeyEntry(`${active}.1766999999`)).toThrow(
      expect.objectContaining({
        code: "ERR_KEY_ENTRY_INVALID",
        message: `The hitl_keys value for key ${approver.kid} is revoked before it was created. Have an admin remove the value.`,
      }),
    );
  });

  it("formatKeyEntry refuses to write what parseKeyEntry would refuse", () => {
    expect(() =>
      formatKeyEntry({ kid: approver.kid, publicKey: approver.publicKey, createdAt: 1767000000, expiresAt: 1766000000 }),
    ).toThrow(expect.objectContaining({ code: "ERR_KEY_ENTRY_INVALID" }));
  });
});
