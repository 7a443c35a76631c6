import { describe, expect, it } from "vitest";
import { MAX_TEAM_KEYS, parseExtensionToHost, parseHostToExtension } from "../src/protocol/messages.js";

const requestId = "0b9d6f0e-2f4c-4d5a-9b1e-3c2d1e0f4a5b";
const kid = "A".repeat(43);
const entry = { kid, createdAt: 1_700_000_000, expiresAt: 1_702_592_000, thisBrowser: true };

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error("expected a refusal");
}

describe("keys.* native messages: strict parsers", () => {
  it("host → extension: keys.list and keys.revoke parse to exactly their members", () => {
    expect(parseHostToExtension({ type: "keys.list", requestId })).toEqual({ type: "keys.list", requestId });
    expect(parseHostToExtension({ type: "keys.revoke", requestId, kid })).toEqual({ type: "keys.revoke", requestId, kid });
  });

  it("keys.revoke without a well-formed kid, or with an unknown member, is refused", () => {
    const short = refusal(() => parseHostToExtension({ type: "keys.revoke", requestId, kid: "abc" }));
    expect(short.code).toBe("ERR_INVALID_ENCODING");
    expect(short.message).toContain("message.kid");
    const extra = refusal(() => parseHostToExtension({ type: "keys.list", requestId, token: "x" }));
    expect(extra.code).toBe("ERR_MALFORMED");
    expect(extra.message).toContain("token");
  });

  it("extension → host: keys.list.result carries public entries only; a token member is refused", () => {
    const revoked = { ...entry, thisBrowser: false, revokedAt: 1_701_000_000 };
    expect(parseExtensionToHost({ type: "keys.list.result", requestId, keys: [entry, revoked] })).toEqual({
      type: "keys.list.result",
      requestId,
      keys: [entry, revoked],
    });
    const leak = refusal(() => parseExtensionToHost({ type: "keys.list.result", requestId, keys: [{ ...entry, accessToken: "eyJ" }] }));
    expect(leak.code).toBe("ERR_MALFORMED");
    expect(leak.message).toContain("accessToken");
  });

  it("keys.list.result with too many keys or a non-boolean thisBrowser is refused", () => {
    const many = refusal(() =>
      parseExtensionToHost({ type: "keys.list.result", requestId, keys: Array.from({ length: MAX_TEAM_KEYS + 1 }, () => entry) }),
    );
    expect(many.code).toBe("ERR_MALFORMED");
    expect(many.message).toContain(`more than ${MAX_TEAM_KEYS}`);
    const flag = refusal(() => parseExtensionToHost({ type: "keys.list.result", requestId, keys: [{ ...entry, thisBrowser: 1 }] }));
    expect(flag.code).toBe("ERR_MALFORMED");
    expect(flag.message).toContain("message.keys[0].thisBrowser");
  });

  it("keys.revoke.result names the revoked kid", () => {
    expect(parseExtensionToHost({ type: "keys.revoke.result", requestId, kid })).toEqual({ type: "keys.revoke.result", requestId, kid });
  });
});
