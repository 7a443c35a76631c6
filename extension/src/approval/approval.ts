import { type Challenge, type Decision, parseChallenge } from "@hitl/verifier/protocol";
import { startCountdown } from "../lib/countdown.js";
import { documentDigest } from "../lib/digest.js";
import { byId, row } from "../lib/dom.js";
import { ask } from "../lib/send.js";
import { type ApprovalView, requestIdFromLocation } from "../lib/ui-messages.js";
import { visibleText } from "../lib/visible-node.js";

/*
 * One approval window = one request. It renders the challenge the service worker holds for this
 * window, as plain text, and sends back the decision together with the digest of what it showed.
 */
performance.mark("hitl:script"); // read by e2e/latency.mjs: the page's modules are loaded
const ARM_DELAY_MS = 350; // a key press aimed at another window must not land on Approve
const approveButton = byId<HTMLButtonElement>("approve");
const denyButton = byId<HTMLButtonElement>("deny");
const statusLine = byId("status");
let hiddenCount = 0;

function showStatus(text: string, isError = false): void {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", isError);
}

function addText(list: HTMLElement, label: string, text: string | undefined, mono = false): void {
  if (text === undefined) return;
  const { node, hidden } = visibleText(text, mono ? "mono" : "");
  hiddenCount += hidden;
  row(list, label, node);
}

function render(challenge: Challenge, view: ApprovalView): void {
  const summary = visibleText(challenge.action.summary, "");
  hiddenCount += summary.hidden;
  byId("summary").append(summary.node);
  if (challenge.action.details !== undefined) {
    const details = visibleText(JSON.stringify(challenge.action.details, null, 2), "");
    hiddenCount += details.hidden;
    const pre = byId("details");
    pre.append(details.node);
    pre.hidden = false;
  }
  const requester = byId("requester");
  const { tool, host, pid, cwd } = challenge.requester;
  addText(requester, "Tool", tool);
  addText(requester, "Host", host);
  addText(requester, "Process id", pid === undefined ? undefined : String(pid));
  addText(requester, "Working directory", cwd, true);

  const meta = byId("meta");
  addText(meta, "Audience", challenge.aud);
  addText(meta, "Request id", challenge.id, true);
  addText(meta, "Signing as", view.subject);
  addText(meta, "Key", view.fingerprint, true);
  addText(meta, "Expires at", new Date(challenge.exp * 1000).toLocaleTimeString());

  if (hiddenCount > 0) {
    const warning = byId("warning");
    warning.textContent =
      `Careful: this request contains ${hiddenCount} invisible or direction-changing character${hiddenCount === 1 ? "" : "s"}, ` +
      "shown as ⟨U+…⟩ markers. Such characters can make text look like something else.";
    warning.hidden = false;
  }
  document.title = `hitl — approve? ${Array.from(challenge.action.summary).slice(0, 60).join("")}`;
}

async function decide(requestId: string, decision: Decision, shownDigest: string): Promise<void> {
  approveButton.disabled = true;
  denyButton.disabled = true;
  showStatus(decision === "approve" ? "Signing approval…" : "Signing denial…");
  const answer = await ask<null>({ type: "approval.decide", requestId, decision, shownDigest });
  if (answer.ok) {
    showStatus(decision === "approve" ? "Approved and signed." : "Denied and signed.");
  } else {
    showStatus(answer.error.message, true);
  }
}

async function main(): Promise<void> {
  const requestId = requestIdFromLocation(location.search);
  if (requestId === undefined) {
    showStatus("This window was opened without a request.", true);
    denyButton.disabled = true;
    return;
  }
  // A window opened ahead of its challenge (prepared-windows.ts) waits here for it.
  showStatus("Receiving the request…");
  const answer = await ask<ApprovalView>({ type: "approval.get", requestId });
  performance.mark("hitl:view"); // read by e2e/latency.mjs: the worker's answer arrived
  if (!answer.ok) {
    showStatus(answer.error.message, true);
    denyButton.disabled = true;
    return;
  }
  // Re-validate and render exactly the known fields; the digest of this object is what we approve.
  const challenge = parseChallenge(answer.value.challenge);
  render(challenge, answer.value);
  showStatus("");
  performance.mark("hitl:rendered"); // read by e2e/latency.mjs
  startCountdown(byId("countdown"), challenge.exp, [approveButton, denyButton]);
  const shownDigest = documentDigest(challenge);
  const decideWith = (decision: Decision) => void shownDigest.then((digest) => decide(requestId, decision, digest));
  approveButton.addEventListener("click", () => decideWith("approve"));
  denyButton.addEventListener("click", () => decideWith("deny"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !denyButton.disabled) decideWith("deny");
  });
  denyButton.focus();
  setTimeout(() => {
    if (!denyButton.disabled) approveButton.disabled = false;
  }, ARM_DELAY_MS);
}

main().catch((error: unknown) => showStatus(error instanceof Error ? error.message : String(error), true));
