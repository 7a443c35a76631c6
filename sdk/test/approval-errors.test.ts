import { ERROR_CODES, HitlError } from "@hitl/verifier";
import { describe, expect, it } from "vitest";
import { ApprovalDenied, ApprovalError, ApprovalTimeout, ApprovalUnavailable, expectApproval, ReceiptInvalid } from "../src/index.js";
import { ERROR_CLASS } from "../src/lib/error-classes.js";

describe("the error map", () => {
  it("maps every ERR_ code to exactly one of the four classes (a new code needs a deliberate row)", () => {
    const unmapped = ERROR_CODES.filter((code) => ERROR_CLASS[code] === undefined);
    expect(unmapped).toEqual([]);
    const classes = new Set(Object.values(ERROR_CLASS));
    expect([...classes].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      ApprovalDenied,
      ApprovalTimeout,
      ApprovalUnavailable,
      ReceiptInvalid,
    ]);
  });

  it("errors are HitlErrors with the stable code, and only code and message cross a process boundary", () => {
    const error = new ReceiptInvalid("ERR_BAD_SIGNATURE", "bad signature");
    expect(error).toBeInstanceOf(ApprovalError);
    expect(error).toBeInstanceOf(HitlError);
    expect(error.name).toBe("ReceiptInvalid");
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: "ERR_BAD_SIGNATURE", message: "bad signature" });
  });
});

describe("expectApproval", () => {
  it.each([
    [{ decision: "timeout", code: "ERR_TIMEOUT", message: "t" }, ApprovalTimeout],
    [{ decision: "timeout", code: "ERR_EXPIRED", message: "e" }, ApprovalTimeout],
    [{ decision: "deny", code: "ERR_WITHDRAWN", message: "w" }, ApprovalDenied],
    [{ decision: "error", code: "ERR_HOST_UNREACHABLE", message: "h" }, ApprovalUnavailable],
    [{ decision: "error", code: "ERR_INTENT_MISMATCH", message: "i" }, ReceiptInvalid],
    [{ decision: "error", code: "ERR_REPLAYED", message: "r" }, ReceiptInvalid],
  ] as const)("%j → its class, same code and message", (outcome, ErrorClass) => {
    expect(() => expectApproval(outcome)).toThrow(ErrorClass);
    expect(() => expectApproval(outcome)).toThrow(expect.objectContaining({ code: outcome.code, message: outcome.message }));
  });
});
