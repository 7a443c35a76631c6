import { formatFingerprint, type HostToExtension, type WireError } from "@hitl/verifier/protocol";
import { documentDigest } from "../lib/digest.js";
import { makeConfirmationCode } from "./confirmation-code.js";
import { writeIdentity } from "./identity.js";
import type { PendingEntry } from "./pending.js";
import type { ApproverService } from "./service.js";
import { signPairing } from "./signer.js";
import { closeWindow } from "./windows.js";

type PairRequest = Extract<HostToExtension, { type: "pair.request" }>;
type PairEntry = Extract<PendingEntry, { kind: "pair" }>;

const REJECTED = "Pairing was cancelled in the browser; run `hitl pair` again and click Pair only if the codes match.";

/** `hitl pair` asks: show the code and the proposed name, and wait for the human. */
export async function onPairRequest(service: ApproverService, { requestId, request }: PairRequest): Promise<void> {
  const { store } = service;
  if (store.byRequestId(requestId) !== undefined) {
    service.replyError(requestId, "ERR_DUPLICATE_REQUEST", "This pairing request is already shown in the browser.");
    return;
  }
  if (request.exp * 1000 <= Date.now()) {
    service.replyError(
      requestId,
      "ERR_TIMEOUT",
      "The pairing request had already expired when it reached the browser; run `hitl pair` again.",
    );
    return;
  }
  const digest = await documentDigest(request);
  const waiting = store.byDigest("pair", digest);
  if (waiting !== undefined) {
    // Re-sent by a restarted host: the open window answers it under the new id.
    if (waiting.generation === store.generation) {
      service.replyError(requestId, "ERR_DUPLICATE_REQUEST", "This pairing request is already shown in the browser.");
      return;
    }
    store.rebind(waiting, requestId, store.generation);
    void store.save();
    return;
  }
  await service.track({ kind: "pair", key: requestId, requestId, generation: store.generation, request, digest }, "pairing");
}

/** What the pairing window learns from its click: the code to show, or why there is none. */
export type PairAnswer = { ok: true; confirmationCode?: string } | { ok: false; error: WireError };

/**
 * Pair or Cancel clicked in window `windowId`. On Pair the worker draws the confirmation code,
 * signs it into the statement, answers the host and hands the code to the window, which stays
 * open showing it: the human types it into the terminal, which writes nothing until it matches.
 */
export async function decidePair(
  service: ApproverService,
  key: string,
  accept: boolean,
  windowId: number | undefined,
): Promise<PairAnswer> {
  const entry = service.store.entries.get(key);
  if (entry === undefined || entry.kind !== "pair") {
    return {
      ok: false,
      error: { code: "ERR_WITHDRAWN", message: "This pairing request is no longer pending (answered, withdrawn or expired)." },
    };
  }
  if (windowId === undefined || entry.windowId !== windowId) {
    return { ok: false, error: { code: "ERR_PROTOCOL", message: "A window can only answer the request it shows." } };
  }
  const taken = service.settle(key) as PairEntry;
  const { requestId } = taken;
  let keepOpen = false;
  try {
    if (!accept) {
      service.replyError(requestId, "ERR_PAIRING_REJECTED", REJECTED);
      await service.history("pairing-rejected", taken);
      return { ok: true };
    }
    if (Date.now() >= taken.request.exp * 1000) {
      const message = "Pair was clicked after the pairing request expired; run `hitl pair` again.";
      service.replyError(requestId, "ERR_TIMEOUT", message);
      return { ok: false, error: { code: "ERR_TIMEOUT", message } };
    }
    const key = await service.ensureKey();
    const now = Date.now();
    const confirmationCode = makeConfirmationCode();
    const pairing = await signPairing(key, taken.request, confirmationCode, now);
    await writeIdentity({ subject: taken.request.subject, kid: key.kid, pairedAt: Math.floor(now / 1000) });
    service.reply({ type: "pair.result", requestId, pairing });
    service.reply({ type: "status.update", status: await service.status() });
    await service.history("paired", taken);
    keepOpen = true;
    return { ok: true, confirmationCode };
  } catch (error) {
    const name = error instanceof Error ? error.name : "error";
    const message = `The browser could not create or use its key (${name}); check that it supports Ed25519.`;
    service.replyError(requestId, "ERR_SIGNING_FAILED", message);
    return { ok: false, error: { code: "ERR_SIGNING_FAILED", message } };
  } finally {
    if (!keepOpen) await closeWindow(taken.windowId);
  }
}

export async function onPairWindowClosed(service: ApproverService, entry: PairEntry): Promise<void> {
  const taken = service.settle(entry.key);
  if (taken === undefined) return;
  service.replyError(taken.requestId, "ERR_PAIRING_REJECTED", REJECTED);
  await service.history("pairing-rejected", taken);
}

export function fingerprintOf(kid: string | undefined): string | undefined {
  return kid === undefined ? undefined : formatFingerprint(kid);
}
