import type { WireError } from "@hitl/verifier/protocol";
import type { SessionKeyInfo } from "./memory-key.js";

/*
 * Worker -> offscreen document (Chromium), over runtime.sendMessage. Every extension page hears
 * runtime messages, so each carries `target` and the offscreen document answers only the
 * service worker. Bytes travel as base64url (runtime messages are JSON).
 */
export const OFFSCREEN_TARGET = "hitl.session-key";

export type OffscreenRequest =
  | { target: typeof OFFSCREEN_TARGET; op: "info" }
  | { target: typeof OFFSCREEN_TARGET; op: "create" }
  | { target: typeof OFFSCREEN_TARGET; op: "sign"; bytes: string };

export type OffscreenResponse = { ok: true; info?: SessionKeyInfo; sig?: string } | { ok: false; error: WireError };

const BASE64URL_BYTES = /^[A-Za-z0-9_-]{1,8192}$/;

/** Any message addressed to the offscreen document, well-formed or not. */
export function isOffscreenMessage(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { target?: unknown }).target === OFFSCREEN_TARGET;
}

/** Strict: exactly these shapes, nothing inherited, nothing extra. */
export function parseOffscreenRequest(value: unknown): OffscreenRequest | undefined {
  if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const v = value as Record<string, unknown>;
  if (!Object.hasOwn(v, "target") || v.target !== OFFSCREEN_TARGET) return undefined;
  const keys = Object.keys(v).sort().join(",");
  if ((v.op === "info" || v.op === "create") && keys === "op,target") return { target: OFFSCREEN_TARGET, op: v.op };
  if (v.op === "sign" && keys === "bytes,op,target" && typeof v.bytes === "string" && BASE64URL_BYTES.test(v.bytes)) {
    return { target: OFFSCREEN_TARGET, op: "sign", bytes: v.bytes };
  }
  return undefined;
}
