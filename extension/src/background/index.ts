import type { Runtime } from "webextension-polyfill";
import browser from "../lib/browser.js";
import { isOffscreenMessage } from "../lib/offscreen-messages.js";
import { onPairRequest, onPairWindowClosed } from "./pair-requests.js";
import { ApproverService } from "./service.js";
import { onSignPrepare, onSignRequest, onSignWindowClosed } from "./sign-requests.js";
import { handleUiMessage } from "./ui-router.js";

/*
 * Service-worker entry. Listeners are registered synchronously at the top level, so an event
 * that wakes a stopped worker (a click in an approval window, a closed window) is delivered;
 * each handler waits until the persisted state is loaded before acting.
 */
export const service = new ApproverService({
  signPrepare: onSignPrepare,
  signRequest: onSignRequest,
  pairRequest: onPairRequest,
  closed: (svc, entry) => (entry.kind === "sign" ? onSignWindowClosed(svc, entry) : onPairWindowClosed(svc, entry)),
});

/** Settles once the persisted state is loaded (exported, like `service`, for the worker's unit tests). */
export const ready = service.start().catch((error: unknown) => {
  console.error("hitl: start-up failed:", error instanceof Error ? error.message : String(error));
});

browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
  // Addressed to the offscreen document (which answers only this worker): not ours to answer.
  if (isOffscreenMessage(message)) return undefined;
  return ready.then(() => handleUiMessage(service, message, sender));
});

browser.windows.onRemoved.addListener((windowId) => {
  void ready.then(() => service.windowClosed(windowId));
});

// Browser start and install both (re)start the worker; the port opens in service.start().
browser.runtime.onStartup.addListener(() => {
  void ready.then(() => service.port.start());
});
