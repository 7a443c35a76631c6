import { type Decision, HitlError, type HostToExtension, type WireError } from "@hitl/verifier/protocol";
import { documentDigest } from "../lib/digest.js";
import { readIdentity, readKeyPolicy } from "./identity.js";
import { missingKeyError } from "./key-lifetime.js";
import type { PendingEntry } from "./pending.js";
import type { PreparedWindow } from "./prepared-windows.js";
import type { ApproverService } from "./service.js";
import { signDecision } from "./signer.js";
import { closeWindow, focusWindow } from "./windows.js";

/** More open approval windows than a human can sensibly read is an attack or a bug. */
export const MAX_OPEN_WINDOWS = 16;

type SignPrepare = Extract<HostToExtension, { type: "sign.prepare" }>;
type SignRequest = Extract<HostToExtension, { type: "sign.request" }>;
type SignEntry = Extract<PendingEntry, { kind: "sign" }>;

/**
 * A POST /sign is on its way (prepared-windows.ts): open its window now, empty, unless the
 * request could not be shown anyway. Those cases are left to the sign.request, which answers
 * them with the right error.
 */
export async function onSignPrepare(service: ApproverService, { requestId }: SignPrepare): Promise<void> {
  if (service.key === undefined || (await readIdentity()) === undefined) return;
  if (service.prepared.has(requestId) || service.store.byRequestId(requestId) !== undefined) return;
  if (service.store.entries.size + service.prepared.size >= MAX_OPEN_WINDOWS) return;
  const prepared = service.prepared.open(requestId);
  service.windowReady.set(requestId, prepared.settled);
}

/** A challenge arrived from the host: check we can sign at all, then show it in its own window. */
export async function onSignRequest(service: ApproverService, message: SignRequest): Promise<void> {
  // A window opened for this request on sign.prepare is adopted, or closed if the request is refused.
  const prepared = service.prepared.take(message.requestId);
  let adopted = false;
  try {
    adopted = await showSignRequest(service, message, prepared);
  } finally {
    if (prepared !== undefined && !adopted) await service.prepared.discard(prepared);
  }
}

/** True when the request got a window of its own (and adopted `prepared`, if there was one). */
async function showSignRequest(
  service: ApproverService,
  { requestId, challenge }: SignRequest,
  prepared: PreparedWindow | undefined,
): Promise<boolean> {
  const { store } = service;
  const digest = await documentDigest(challenge);

  // The same challenge re-sent by a host that restarted (new handshake): keep the window, or
  // answer at once if the human already decided. On the same connection it is a duplicate.
  const waiting = store.byDigest("sign", digest);
  if (waiting !== undefined) {
    if (waiting.generation === store.generation) {
      service.replyError(
        requestId,
        "ERR_DUPLICATE_REQUEST",
        "This challenge already waits for a decision in the browser; make a new challenge for a new request.",
      );
      return false;
    }
    store.rebind(waiting, requestId, store.generation);
    void store.save();
    await focusWindow(waiting.windowId);
    return false;
  }
  const decided = store.settled.get(digest);
  if (decided !== undefined && decided.generation !== store.generation) {
    service.reply({ type: "sign.result", requestId, receipt: decided.receipt });
    return false;
  }
  if (store.byRequestId(requestId) !== undefined || decided !== undefined) {
    service.replyError(requestId, "ERR_DUPLICATE_REQUEST", "This request was already answered; make a new challenge for a new request.");
    return false;
  }

  // Fail closed before showing anything the human could not validly sign.
  if (service.key === undefined) {
    const { code, message } = missingKeyError(await readKeyPolicy(), (await readIdentity()) !== undefined);
    service.replyError(requestId, code, message);
    return false;
  }
  if ((await readIdentity()) === undefined) {
    service.replyError(requestId, "ERR_NOT_PAIRED", "The browser extension is not paired with an approver: run `hitl pair` first.");
    return false;
  }
  if (challenge.exp * 1000 <= Date.now()) {
    service.replyError(
      requestId,
      "ERR_TIMEOUT",
      "The challenge had already expired when it reached the browser; check the system clock and run the request again.",
    );
    return false;
  }
  if (store.entries.size >= MAX_OPEN_WINDOWS) {
    service.replyError(
      requestId,
      "ERR_TOO_MANY_PENDING",
      `The browser already shows ${store.entries.size} requests; decide those first (or deny them all from the hitl toolbar popup), then retry.`,
    );
    return false;
  }

  await service.track({ kind: "sign", key: requestId, requestId, generation: store.generation, challenge, digest }, "approval", prepared);
  return true;
}

/**
 * The human clicked Approve or Deny in the window `windowId`. Only that window's own request can
 * be decided, and only if the page rendered exactly the challenge the worker holds.
 */
export async function decideSign(
  service: ApproverService,
  key: string,
  decision: Decision,
  windowId: number | undefined,
  shownDigest: string,
): Promise<WireError | undefined> {
  const entry = service.store.entries.get(key);
  if (entry === undefined || entry.kind !== "sign") {
    return { code: "ERR_WITHDRAWN", message: "This request is no longer pending (decided, withdrawn or expired)." };
  }
  if (windowId === undefined || entry.windowId !== windowId) {
    return { code: "ERR_PROTOCOL", message: "A window can only decide the request it shows." };
  }
  if (shownDigest !== entry.digest) {
    return { code: "ERR_CHALLENGE_MISMATCH", message: "The window showed a different challenge than the one pending; nothing was signed." };
  }
  const taken = service.settle(key);
  if (taken === undefined || taken.kind !== "sign") {
    return { code: "ERR_WITHDRAWN", message: "This request is no longer pending (decided, withdrawn or expired)." };
  }
  await finishSign(service, taken, decision);
  return undefined;
}

/** Sign `decision` over the entry's own stored challenge, answer the host, close the window. */
export async function finishSign(service: ApproverService, entry: SignEntry, decision: Decision): Promise<void> {
  const now = Date.now();
  try {
    if (now >= entry.challenge.exp * 1000) {
      service.replyError(entry.requestId, "ERR_TIMEOUT", "The decision came after the challenge expired; run the request again.");
      await service.history("expired", entry);
      return;
    }
    const key = service.key;
    const identity = await readIdentity();
    if (key === undefined || identity === undefined) {
      service.replyError(
        entry.requestId,
        "ERR_NO_KEY",
        "The signing key or pairing disappeared before the decision: run `hitl pair` again.",
      );
      return;
    }
    let receipt: Awaited<ReturnType<typeof signDecision>>;
    try {
      receipt = await signDecision(key, entry.challenge, decision, identity.subject, now);
    } catch (error) {
      if (error instanceof HitlError && error.code === "ERR_SESSION_KEY_ENDED") {
        service.replyError(entry.requestId, error.code, error.message);
        return;
      }
      const name = error instanceof Error ? error.name : "error";
      service.replyError(
        entry.requestId,
        "ERR_SIGNING_FAILED",
        `The browser could not sign (${name}); check that it supports Ed25519 and run \`hitl doctor\`.`,
      );
      return;
    }
    // The connection the answer is addressed to (entry.requestId belongs to it), not the current
    // one: if the host restarted before the click, the answer reaches no one waiting for it, and
    // the re-sent challenge on the new connection must get this receipt, not a "duplicate".
    service.store.settled.set(entry.digest, {
      digest: entry.digest,
      exp: entry.challenge.exp,
      generation: entry.generation,
      receipt,
    });
    service.reply({ type: "sign.result", requestId: entry.requestId, receipt });
    void service.store.save();
    await service.history(decision === "approve" ? "approved" : "denied", entry);
  } finally {
    await closeWindow(entry.windowId);
  }
}

/** Closing the approval window is a decision too: a signed deny. */
export async function onSignWindowClosed(service: ApproverService, entry: SignEntry): Promise<void> {
  const taken = service.settle(entry.key);
  if (taken?.kind === "sign") await finishSign(service, taken, "deny");
}
