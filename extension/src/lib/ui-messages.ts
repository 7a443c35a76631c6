import type { Challenge, Decision, KeyPolicy, PairingRequest, WireError } from "@hitl/verifier/protocol";
import { DIGEST, UUID_V4 } from "./patterns.js";
import { parseTeamRequest, type TeamRegistration, type TeamRequest } from "./team-messages.js";

/*
 * Messages between the extension's own pages (approval, pairing, popup) and the service worker,
 * over runtime.sendMessage. The worker owns every request and key; a page only shows what the
 * worker hands it and asks for one decision on its own request. Which window asks is taken from
 * the browser's `sender`, never from the message.
 */
export type UiRequest =
  | { type: "approval.get"; requestId: string }
  /** `shownDigest` = digest of the challenge the page rendered; the worker checks it against its own. */
  | { type: "approval.decide"; requestId: string; decision: Decision; shownDigest: string }
  | { type: "pairing.get"; requestId: string }
  | { type: "pairing.decide"; requestId: string; accept: boolean }
  /** A pairing window closing itself after showing its code (sender = that window). */
  | { type: "pairing.close" }
  | { type: "popup.status" }
  /** The popup's "Deny all": answer every waiting request (background/deny-all.ts). */
  | { type: "popup.denyAll" }
  | TeamRequest;

export type UiResponse<T> = { ok: true; value: T } | { ok: false; error: WireError };

export interface ApprovalView {
  requestId: string;
  challenge: Challenge;
  digest: string;
  subject?: string;
  fingerprint?: string;
}

export interface PairingView {
  requestId: string;
  request: PairingRequest;
  /** The lifetime of the key that will be paired. */
  keyLifetime: KeyPolicy;
  /** Fingerprint of the key that will be paired, when the browser holds one of that lifetime already. */
  fingerprint?: string;
}

/** The answer to pairing.decide: after Pair, the code the window shows for the terminal. */
export interface PairingDecided {
  /** Canonical form (six letters); the window shows it as "KPT-WRM". */
  confirmationCode?: string;
}

export type HostState = "disconnected" | "connecting" | "awaiting-hello" | "connected";

export interface HistoryItem {
  at: number;
  outcome: "approved" | "denied" | "expired" | "withdrawn" | "paired" | "pairing-rejected";
  summary: string;
  aud?: string;
  tool?: string;
}

export interface PopupStatus {
  keyPresent: boolean;
  kid?: string;
  fingerprint?: string;
  keyPolicy: KeyPolicy;
  /** How the popup says the key's lifetime (key-lifetime.ts). */
  keyLifetimeText: string;
  subject?: string;
  pairedAt?: number;
  /** The key named at pairing differs from the current key (e.g. a session key that ended). */
  pairedKidMismatch: boolean;
  host: { state: HostState; lastError?: string; hostVersion?: string; port?: number };
  pending: number;
  history: HistoryItem[];
  /** Team mode: the addresses the human entered and when they last changed, and the registration. */
  team?: { keycloakUrl: string; serverUrl: string; changedAt?: number; registration?: TeamRegistration };
}

function exactKeys(record: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(record);
  return own.length === keys.length && own.every((k) => keys.includes(k));
}

/** Strict parse of a page's message; undefined for anything else (the worker then ignores it). */
export function parseUiRequest(value: unknown): UiRequest | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  const requestIdOk = typeof r.requestId === "string" && UUID_V4.test(r.requestId);
  switch (r.type) {
    case "approval.get":
    case "pairing.get":
      return exactKeys(r, ["type", "requestId"]) && requestIdOk ? { type: r.type, requestId: r.requestId as string } : undefined;
    case "approval.decide":
      if (!exactKeys(r, ["type", "requestId", "decision", "shownDigest"]) || !requestIdOk) return undefined;
      if (r.decision !== "approve" && r.decision !== "deny") return undefined;
      if (typeof r.shownDigest !== "string" || !DIGEST.test(r.shownDigest)) return undefined;
      return { type: r.type, requestId: r.requestId as string, decision: r.decision, shownDigest: r.shownDigest };
    case "pairing.decide":
      if (!exactKeys(r, ["type", "requestId", "accept"]) || !requestIdOk || typeof r.accept !== "boolean") return undefined;
      return { type: r.type, requestId: r.requestId as string, accept: r.accept };
    case "popup.status":
    case "pairing.close":
    case "popup.denyAll":
      return exactKeys(r, ["type"]) ? { type: r.type } : undefined;
    default:
      return typeof r.type === "string" && r.type.startsWith("team.") ? parseTeamRequest(r) : undefined;
  }
}

export function requestIdFromLocation(search: string): string | undefined {
  const id = new URLSearchParams(search).get("request");
  return id !== null && UUID_V4.test(id) ? id : undefined;
}
