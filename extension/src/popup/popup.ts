import { byId, el, row } from "../lib/dom.js";
import { pageApis } from "../lib/page-apis.js";
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
  // Team mode: the addresses are shown always, with when they changed, so that a change nobody
  // made on purpose is seen.
  if (status.team === undefined) row(list, "Team mode", "off");
  else {
    const changed = status.team.changedAt === undefined ? "" : ` (set ${new Date(status.team.changedAt).toLocaleString()})`;
    row(list, "Team Keycloak", `${status.team.keycloakUrl}${changed}`);
    row(list, "Team server", status.team.serverUrl);
    const reg = status.team.registration;
    row(
      list,
      "Team key",
      reg === undefined ? "not registered: open Team sign-in" : `${reg.username}, until ${new Date(reg.expiresAt * 1000).toLocaleString()}`,
    );
  }
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
byId("team").addEventListener("click", () => {
  const api = pageApis();
  void api.windows.create({ type: "popup", url: api.runtime.getURL("src/team/team.html"), width: 520, height: 720 });
});
void refresh();
setInterval(() => void refresh(), 1000);
