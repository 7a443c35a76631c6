import { type Challenge, type Decision, markedPlainText, parseChallenge } from "@hitl/verifier/protocol";
import { startCountdown } from "../lib/countdown.js";
import { documentDigest } from "../lib/digest.js";
import { byId, row } from "../lib/dom.js";
import { watchReadThrough } from "../lib/read-through.js";
import { ask } from "../lib/send.js";
import { type ApprovalView, requestIdFromLocation } from "../lib/ui-messages.js";
import { addMarks, describeMarks, noMarks, visibleText } from "../lib/visible-node.js";

/*
 * One approval window = one request. It renders the challenge the service worker holds for this
 * window, as plain text, and sends back the decision together with the digest of what it showed.
 */
performance.mark("hitl:script"); // read by e2e/latency.mjs: the page's modules are loaded
const ARM_DELAY_MS = 350; // a key press aimed at another window must not land on Approve
const approveButton = byId<HTMLButtonElement>("approve");
const denyButton = byId<HTMLButtonElement>("deny");
const statusLine = byId("status");
const readHint = byId("read-hint");
const marks = noMarks();
const TITLE_CHARS = 60;

function showStatus(text: string, isError = false): void {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", isError);
}

function addText(list: HTMLElement, label: string, text: string | undefined, mono = false): void {
  if (text === undefined) return;
  const { node, counts } = visibleText(text, mono ? "mono" : "");
  addMarks(marks, counts);
  row(list, label, node);
}

function render(challenge: Challenge, view: ApprovalView): void {
  const summary = visibleText(challenge.action.summary, "");
  addMarks(marks, summary.counts);
  byId("summary").append(summary.node);
  if (challenge.action.details !== undefined) {
    // Our own indentation stays; inside JSON strings no line can start with a blank.
    const details = visibleText(JSON.stringify(challenge.action.details, null, 2), "", { keepIndentation: true });
    addMarks(marks, details.counts);
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

  const found = describeMarks(marks);
  if (found !== "") {
    const warning = byId("warning");
    warning.textContent =
      `Careful: this request contains ${found}, shown as ⟨…⟩ markers. ` +
      "Such text can make an action look like something else: read it as marked.";
    warning.hidden = false;
  }
  // The title bar shows it too: markers instead of raw characters, on one line.
  const title = Array.from(markedPlainText(challenge.action.summary).replace(/\s+/gu, " ").trim());
  document.title = `hitl — approve? ${title.slice(0, TITLE_CHARS).join("")}${title.length > TITLE_CHARS ? "…" : ""}`;
}

function showReadProgress(seen: number, complete: boolean): void {
  readHint.hidden = complete;
  readHint.textContent = complete
    ? ""
    : `Scroll down to read the whole request: Approve unlocks once all of it has been on screen (${Math.floor(seen * 100)}% so far).`;
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
  // Open at the top, on the summary: focusing Deny must not scroll (it sits in the sticky bar).
  window.scrollTo(0, 0);
  denyButton.focus({ preventScroll: true });
  let armed = false;
  let readThrough = false;
  const enableApprove = (): void => {
    if (armed && readThrough && !denyButton.disabled) approveButton.disabled = false;
  };
  watchReadThrough(byId("end-of-request"), byId("decision-bar"), ({ seen, complete }) => {
    readThrough = complete;
    showReadProgress(seen, complete);
    enableApprove();
  });
  setTimeout(() => {
    armed = true;
    enableApprove();
  }, ARM_DELAY_MS);
}

main().catch((error: unknown) => showStatus(error instanceof Error ? error.message : String(error), true));
