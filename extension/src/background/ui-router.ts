import type { WireError } from "@hitl/verifier/protocol";
import type { Runtime } from "webextension-polyfill";
import browser from "../lib/browser.js";
import {
  type ApprovalView,
  type PairingDecided,
  type PairingView,
  type PopupStatus,
  parseUiRequest,
  type UiResponse,
} from "../lib/ui-messages.js";
import { denyAllPending } from "./deny-all.js";
import { readHistory } from "./history.js";
import { readIdentity } from "./identity.js";
import { describeKeyLifetime, keyPlanAtPairing } from "./key-lifetime.js";
import { decidePair, fingerprintOf, refusePairing } from "./pair-requests.js";
import type { ApproverService } from "./service.js";
import { decideSign, finishSign } from "./sign-requests.js";
import { handleTeamMessage, teamStatus } from "./team.js";
import { handleTeamCliMessage } from "./team-cli.js";
import { closeWindow, pageUrl, type WindowPage } from "./windows.js";

/*
 * Answers the extension's own pages. The asking window is identified by the browser (`sender`),
 * and a page may only read or decide the request of the window it is in.
 */
function fail(code: WireError["code"], message: string): UiResponse<never> {
  return { ok: false, error: { code, message } };
}

function senderPage(sender: Runtime.MessageSender): WindowPage | "popup" | "team" | undefined {
  if (sender.id !== browser.runtime.id || sender.url === undefined) return undefined;
  const path = sender.url.split(/[?#]/)[0];
  if (path === pageUrl("approval")) return "approval";
  if (path === pageUrl("pairing")) return "pairing";
  if (path === browser.runtime.getURL("src/popup/popup.html")) return "popup";
  if (path === browser.runtime.getURL("src/team/team.html")) return "team";
  return undefined;
}

const GONE = "This request is no longer pending (decided, withdrawn or expired).";

export async function handleUiMessage(service: ApproverService, raw: unknown, sender: Runtime.MessageSender): Promise<UiResponse<unknown>> {
  const message = parseUiRequest(raw);
  const page = senderPage(sender);
  if (message === undefined || page === undefined) return fail("ERR_PROTOCOL", "Unknown message or sender.");
  const windowId = sender.tab?.windowId;

  switch (message.type) {
    case "approval.get": {
      if (page !== "approval") return fail("ERR_PROTOCOL", "Only an approval window may read a challenge.");
      await service.windowReady.get(message.requestId);
      const entry = service.store.entries.get(message.requestId);
      if (entry?.kind !== "sign") return fail("ERR_WITHDRAWN", GONE);
      if (entry.windowId !== windowId) return fail("ERR_PROTOCOL", "A window can only show its own request.");
      const identity = await readIdentity();
      const view: ApprovalView = { requestId: entry.key, challenge: entry.challenge, digest: entry.digest };
      if (identity !== undefined) view.subject = identity.subject;
      const fingerprint = fingerprintOf(service.key?.kid);
      if (fingerprint !== undefined) view.fingerprint = fingerprint;
      return { ok: true, value: view };
    }
    case "approval.decide": {
      if (page !== "approval") return fail("ERR_PROTOCOL", "Only an approval window may decide.");
      const error = await decideSign(service, message.requestId, message.decision, windowId, message.shownDigest);
      return error === undefined ? { ok: true, value: null } : { ok: false, error };
    }
    case "pairing.get": {
      if (page !== "pairing") return fail("ERR_PROTOCOL", "Only a pairing window may read a pairing request.");
      await service.windowReady.get(message.requestId);
      const entry = service.store.entries.get(message.requestId);
      if (entry?.kind !== "pair") return fail("ERR_WITHDRAWN", GONE);
      if (entry.windowId !== windowId) return fail("ERR_PROTOCOL", "A window can only show its own request.");
      const view: PairingView = { requestId: entry.key, request: entry.request, keyLifetime: entry.keyLifetime };
      const kept = service.key !== undefined && keyPlanAtPairing(service.key.policy, entry.keyLifetime) === "keep";
      const fingerprint = kept ? fingerprintOf(service.key?.kid) : undefined;
      if (fingerprint !== undefined) view.fingerprint = fingerprint;
      return { ok: true, value: view };
    }
    case "pairing.decide": {
      if (page !== "pairing") return fail("ERR_PROTOCOL", "Only a pairing window may answer a pairing request.");
      const answer = await decidePair(service, message.requestId, message.accept, windowId);
      if (!answer.ok) return answer;
      const view: PairingDecided = answer.confirmationCode === undefined ? {} : { confirmationCode: answer.confirmationCode };
      return { ok: true, value: view };
    }
    case "pairing.close": {
      // After Pair the window stays open to show its code; it may close itself, and only itself.
      if (page !== "pairing") return fail("ERR_PROTOCOL", "Only a pairing window may close itself this way.");
      await closeWindow(windowId);
      return { ok: true, value: null };
    }
    case "popup.status":
      return { ok: true, value: await popupStatus(service) };
    case "team.status":
    case "team.configure":
    case "team.signRegistration":
    case "team.registered":
    case "team.forget":
      // Only the team window (never a page the host opened, never the popup) touches team mode.
      if (page !== "team") return fail("ERR_PROTOCOL", "Only the team sign-in window may do this.");
      return handleTeamMessage(service, message, Date.now());
    case "team.cli.get":
    case "team.cli.listed":
    case "team.cli.revoked":
    case "team.cli.fail":
      if (page !== "team") return fail("ERR_PROTOCOL", "Only the team sign-in window may do this.");
      return handleTeamCliMessage(service, message, windowId);
    case "popup.denyAll": {
      if (page !== "popup") return fail("ERR_PROTOCOL", "Only the toolbar popup may deny all waiting requests.");
      const result = await denyAllPending({
        waiting: () => [...service.store.entries.values()],
        settle: (key) => service.settle(key),
        deny: (entry) => finishSign(service, entry, "deny"),
        refuse: (entry) => refusePairing(service, entry),
        closeEmpty: () => service.prepared.discardAll(),
      });
      return { ok: true, value: result };
    }
  }
}

async function popupStatus(service: ApproverService): Promise<PopupStatus> {
  const status = await service.status();
  const identity = await readIdentity();
  const state = service.port.state;
  const host: PopupStatus["host"] = { state: state.kind };
  if (state.kind === "disconnected" && state.lastError !== undefined) host.lastError = state.lastError;
  if (state.kind === "connected") {
    host.hostVersion = state.hostVersion;
    host.port = state.port;
  }
  const result: PopupStatus = {
    keyPresent: status.keyPresent,
    keyPolicy: status.keyPolicy,
    keyLifetimeText: describeKeyLifetime(status.keyPolicy, status.keyPresent),
    pairedKidMismatch: identity !== undefined && status.kid !== undefined && identity.kid !== status.kid,
    host,
    pending: status.pending,
    history: await readHistory(),
  };
  if (status.kid !== undefined) {
    result.kid = status.kid;
    result.fingerprint = fingerprintOf(status.kid)!;
  }
  const team = await teamStatus(service);
  if (team.config !== undefined) {
    result.team = { keycloakUrl: team.config.keycloakUrl, serverUrl: team.config.serverUrl };
    if (team.configChangedAt !== undefined) result.team.changedAt = team.configChangedAt;
    if (team.registration !== undefined) result.team.registration = team.registration;
  }
  if (identity !== undefined) {
    result.subject = identity.subject;
    result.pairedAt = identity.pairedAt;
  }
  return result;
}
