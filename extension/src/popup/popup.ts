import { byId, el, row } from "../lib/dom.js";
import { ask } from "../lib/send.js";
import type { PopupStatus } from "../lib/ui-messages.js";
import { visibleText } from "../lib/visible-node.js";
import { bindDenyAll, showDenyAll } from "./deny-all.js";

/* Toolbar popup: what this browser holds and whether the chain to the terminal is up. */
const HOST_TEXT = {
  connected: "connected",
  connecting: "connecting…",
  "awaiting-hello": "starting…",
  disconnected: "not connected",
} as const;

function render(status: PopupStatus): void {
  const list = byId("status");
  list.replaceChildren();
  row(list, "Signing key", status.fingerprint ?? "none: run `hitl pair`");
  row(list, "Key lifetime", status.keyLifetimeText);
  const pairing =
    status.subject === undefined
      ? "not paired: run `hitl pair`"
      : `${status.subject}${status.pairedAt === undefined ? "" : `, since ${new Date(status.pairedAt * 1000).toLocaleDateString()}`}` +
        (status.pairedKidMismatch ? " (key changed since pairing: run `hitl pair` again)" : "");
  row(list, "Approver", pairing);
  const hostText = `${HOST_TEXT[status.host.state]}${status.host.port === undefined ? "" : ` (127.0.0.1:${status.host.port})`}`;
  row(list, "Signing host", status.host.lastError === undefined ? hostText : `${hostText}: ${status.host.lastError}`);
  row(list, "Waiting", String(status.pending));
  showDenyAll(status.pending);

  const pill = byId("host-pill");
  pill.textContent = status.host.state === "connected" ? "host connected" : "host offline";
  pill.className = `pill ${status.host.state === "connected" ? "ok" : "bad"}`;

  const history = byId("history");
  history.replaceChildren(
    ...status.history.map((item) =>
      el("li", {}, [
        el("span", { className: "outcome", text: item.outcome }),
        el("span", { className: "what" }, [visibleText(item.summary, "").node]),
        el("span", { className: "when", text: `${new Date(item.at).toLocaleString()}${item.tool === undefined ? "" : ` · ${item.tool}`}` }),
      ]),
    ),
  );
  byId("empty").hidden = status.history.length > 0;
}

async function refresh(): Promise<void> {
  const reply = await ask<PopupStatus>({ type: "popup.status" });
  if (reply.ok) render(reply.value);
  else byId("status").replaceChildren(el("dd", { text: reply.error.message }));
}

bindDenyAll(() => void refresh());
void refresh();
setInterval(() => void refresh(), 1000);
