import { formatPairingConfirmation, PAIRING_CONFIRMATION_PATTERN, type PairingRequest, parsePairingRequest } from "@hitl/verifier/protocol";
import { startCountdown } from "../lib/countdown.js";
import { byId, row } from "../lib/dom.js";
import { ask } from "../lib/send.js";
import { type PairingDecided, type PairingView, requestIdFromLocation } from "../lib/ui-messages.js";
import { visibleText } from "../lib/visible-node.js";

/*
 * The pairing window: the human compares the terminal's code and confirms the name; after Pair it
 * shows the confirmation code the worker signed, for the human to type into the terminal.
 */
const ARM_DELAY_MS = 350;
const pairButton = byId<HTMLButtonElement>("pair");
const cancelButton = byId<HTMLButtonElement>("cancel");
const statusLine = byId("status");

function showStatus(text: string, isError = false): void {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", isError);
}

function render(request: PairingRequest, view: PairingView): void {
  byId("code").textContent = request.code;
  const list = byId("details");
  row(list, "Approver name", request.subject);
  row(list, "Requested by", request.requester.tool);
  if (request.requester.host !== undefined) row(list, "Host", request.requester.host);
  if (request.requester.pid !== undefined) row(list, "Process id", String(request.requester.pid));
  if (request.requester.cwd !== undefined) row(list, "Working directory", visibleText(request.requester.cwd, "mono").node);
  row(list, "Audience", request.aud);
  row(list, "Key", view.fingerprint ?? "a new key will be created in this browser");
}

async function answer(requestId: string, request: PairingRequest, accept: boolean): Promise<void> {
  pairButton.disabled = true;
  cancelButton.disabled = true;
  showStatus(accept ? "Pairing…" : "Cancelling…");
  const reply = await ask<PairingDecided>({ type: "pairing.decide", requestId, accept });
  if (!reply.ok) {
    showStatus(reply.error.message, true);
    return;
  }
  const code = reply.value.confirmationCode;
  if (!accept || code === undefined || !PAIRING_CONFIRMATION_PATTERN.test(code)) {
    showStatus(accept ? "The extension did not return a confirmation code; run `hitl pair` again." : "Cancelled.", accept);
    return;
  }
  showConfirmation(code, request.exp);
}

/** After Pair: the code for the terminal, until the request expires (the terminal refuses it after that anyway). */
function showConfirmation(code: string, expSeconds: number): void {
  byId("compare").hidden = true;
  byId("title").textContent = "Confirm in the terminal";
  byId("confirmation-code").textContent = formatPairingConfirmation(code);
  byId("confirm").hidden = false;
  showStatus("");
  const closeButton = byId<HTMLButtonElement>("close");
  const close = (): void => void ask<null>({ type: "pairing.close" });
  closeButton.addEventListener("click", close);
  closeButton.focus();
  setTimeout(close, Math.max(0, expSeconds * 1000 - Date.now()));
}

async function main(): Promise<void> {
  const requestId = requestIdFromLocation(location.search);
  if (requestId === undefined) {
    showStatus("This window was opened without a pairing request.", true);
    cancelButton.disabled = true;
    return;
  }
  const reply = await ask<PairingView>({ type: "pairing.get", requestId });
  if (!reply.ok) {
    showStatus(reply.error.message, true);
    cancelButton.disabled = true;
    return;
  }
  const request = parsePairingRequest(reply.value.request);
  render(request, reply.value);
  startCountdown(byId("countdown"), request.exp, [pairButton, cancelButton]);
  pairButton.addEventListener("click", () => void answer(requestId, request, true));
  cancelButton.addEventListener("click", () => void answer(requestId, request, false));
  cancelButton.focus();
  setTimeout(() => {
    if (!cancelButton.disabled) pairButton.disabled = false;
  }, ARM_DELAY_MS);
}

main().catch((error: unknown) => showStatus(error instanceof Error ? error.message : String(error), true));
