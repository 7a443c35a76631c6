import { type ErrorCode, type HostToExtension, isErrorCode, parseTeamKeyList } from "@hitl/verifier/protocol";
import browser from "../lib/browser.js";
import type { TeamCliRequest } from "../lib/team-messages.js";
import type { ApproverService } from "./service.js";
import { teamConfig } from "./team.js";
import { closeWindow } from "./windows.js";

/*
 * `hitl keys list|revoke` (keys.list / keys.revoke from the signing host). Tokens live only in a
 * team window's memory, so the worker cannot answer itself: it opens a team window for the
 * request, and only that window (identified by the browser's `sender`, never by the message) may
 * answer it. The human always sees that the command line asked (list included, although the list
 * is public: an agent must not read it unseen). One request at a time; closing the window before
 * it answered is a cancel (revoke, signed in) or "not signed in".
 */
interface CliKeysRequest {
  requestId: string;
  op: "list" | "revoke";
  kid?: string;
  windowId?: number;
  /** The window reported a signed-in session when it read the request. */
  signedIn: boolean;
}

let current: CliKeysRequest | undefined;

type KeysMessage = Extract<HostToExtension, { type: "keys.list" | "keys.revoke" }>;

export async function onKeysRequest(service: ApproverService, message: KeysMessage): Promise<void> {
  if ((await teamConfig()) === undefined) {
    service.replyError(
      message.requestId,
      "ERR_TEAM_NOT_CONFIGURED",
      "This browser's hitl extension is not in team mode: open the toolbar popup, 'Team sign-in…', enter your organisation's addresses and register this browser.",
    );
    return;
  }
  if (current !== undefined) {
    service.replyError(
      message.requestId,
      "ERR_TOO_MANY_PENDING",
      "Another 'hitl keys' request is open in the team window; answer or close it first.",
    );
    return;
  }
  const request: CliKeysRequest = { requestId: message.requestId, op: message.type === "keys.list" ? "list" : "revoke", signedIn: false };
  if (message.type === "keys.revoke") request.kid = message.kid;
  current = request;
  const created = await browser.windows.create({
    type: "popup",
    url: browser.runtime.getURL("src/team/team.html"),
    focused: true,
    width: 560,
    height: 760,
  });
  // Withdrawn (or answered) while the window was being made.
  if (current !== request) {
    await closeWindow(created.id);
    return;
  }
  if (created.id !== undefined) request.windowId = created.id;
}

/** The host's client went away or timed out: close the window, answer nothing. */
export async function withdrawKeysRequest(requestId: string): Promise<boolean> {
  if (current?.requestId !== requestId) return false;
  const { windowId } = current;
  current = undefined;
  await closeWindow(windowId);
  return true;
}

export function keysWindowClosed(service: ApproverService, windowId: number): boolean {
  if (current === undefined || current.windowId !== windowId) return false;
  const request = current;
  current = undefined;
  if (request.op === "revoke" && request.signedIn) {
    service.replyError(
      request.requestId,
      "ERR_KEYS_REVOKE_CANCELLED",
      "The team window was closed without confirming; the key stays valid.",
    );
  } else {
    service.replyError(
      request.requestId,
      "ERR_TEAM_NOT_SIGNED_IN",
      "The team window was closed before anyone signed in; nothing was listed or revoked. Run the command again and sign in in the window that opens.",
    );
  }
  return true;
}

type Answer = { ok: true; value: unknown } | { ok: false; error: { code: ErrorCode; message: string } };

const notYours: Answer = { ok: false, error: { code: "ERR_PROTOCOL", message: "No 'hitl keys' request is waiting for this window." } };

/** Messages from a team window about the request the worker opened it for. */
export function handleTeamCliMessage(service: ApproverService, message: TeamCliRequest, windowId: number | undefined): Answer {
  if (current === undefined || windowId === undefined || current.windowId !== windowId) {
    return message.type === "team.cli.get" ? { ok: true, value: null } : notYours;
  }
  const request = current;
  if (message.type === "team.cli.get") {
    request.signedIn = message.signedIn;
    const view: { requestId: string; op: "list" | "revoke"; kid?: string } = { requestId: request.requestId, op: request.op };
    if (request.kid !== undefined) view.kid = request.kid;
    return { ok: true, value: view };
  }
  if (message.requestId !== request.requestId) return notYours;
  switch (message.type) {
    case "team.cli.listed": {
      if (request.op !== "list") return notYours;
      let keys: ReturnType<typeof parseTeamKeyList>;
      try {
        // Public facts only, through the protocol's own parser; "this browser" is the worker's to say.
        keys = parseTeamKeyList(message.keys, "keys").map((key) => ({ ...key, thisBrowser: key.kid === service.key?.kid }));
      } catch (error) {
        current = undefined;
        service.replyError(request.requestId, "ERR_TEAM_SERVER_REFUSED", `The hitl server's key list is malformed (${String(error)}).`);
        return { ok: true, value: null };
      }
      current = undefined;
      service.reply({ type: "keys.list.result", requestId: request.requestId, keys });
      return { ok: true, value: null };
    }
    case "team.cli.revoked":
      if (request.op !== "revoke" || message.kid !== request.kid) return notYours;
      current = undefined;
      service.reply({ type: "keys.revoke.result", requestId: request.requestId, kid: message.kid });
      return { ok: true, value: null };
    case "team.cli.fail": {
      current = undefined;
      service.replyError(request.requestId, wireCode(message.code), message.message.slice(0, 1000));
      return { ok: true, value: null };
    }
  }
}

/** The window's own codes are protocol codes; the hitl server's transport faults get the CLI's team codes. */
function wireCode(code: string): ErrorCode {
  if (isErrorCode(code)) return code;
  if (code === "ERR_SERVER_UNREACHABLE") return "ERR_TEAM_SERVER_UNREACHABLE";
  return "ERR_TEAM_SERVER_REFUSED";
}
