import type { Approver } from "@hitl/sdk";
import { type ApproverKey, type ApproverRecord, encodeBase64url, formatFingerprint } from "@hitl/verifier";
import { markedPlainText } from "@hitl/verifier/protocol";

/** "alice (key 1a2b 3c4d 5e6f 7a8b)": how a person is named in every result line (name marked as in the window). */
export function describeApprover(approver: { sub: string; kid: string }, username?: string): string {
  return `${markedPlainText(username ?? approver.sub)} (key ${formatFingerprint(approver.kid)})`;
}

/**
 * An approver as --json prints it (`hitl verify` has the verifier's key bytes): the SDK's form (public key in base64url, absent in team mode,
 * where the server verifies with the registered key and does not return it), plus the
 * fingerprint spelled out.
 */
export function approverJson(approver: Approver | ApproverRecord | ApproverKey): Record<string, string> {
  const publicKey = approver.publicKey instanceof Uint8Array ? encodeBase64url(approver.publicKey) : (approver.publicKey ?? "");
  return {
    sub: approver.sub,
    kid: approver.kid,
    fingerprint: formatFingerprint(approver.kid),
    ...(publicKey.length > 0 && { publicKey }),
    ...(approver.label !== undefined && { label: approver.label }),
  };
}

/** One JSON document, one line, on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** The one line that says what went wrong and what to do, on stderr. */
export function printProblem(code: string, message: string): void {
  process.stderr.write(`hitl: ${code}: ${message}\n`);
}
