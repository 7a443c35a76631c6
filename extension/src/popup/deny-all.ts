import type { DenyAllResult } from "../background/deny-all.js";
import { byId } from "../lib/dom.js";
import { ask } from "../lib/send.js";

/*
 * The popup's "Deny all waiting" button (background/deny-all.ts does the work): one click answers
 * every waiting approval request with a signed deny and refuses waiting pairing requests.
 */

/** Shows the button with the current count, or hides it when nothing waits. */
export function showDenyAll(pending: number): void {
  const button = byId<HTMLButtonElement>("deny-all");
  button.hidden = pending === 0;
  button.textContent = pending === 1 ? "Deny the waiting request" : `Deny all ${pending} waiting`;
}

export function bindDenyAll(refresh: () => void): void {
  const button = byId<HTMLButtonElement>("deny-all");
  const result = byId("deny-all-result");
  button.addEventListener("click", async () => {
    button.disabled = true;
    const reply = await ask<DenyAllResult>({ type: "popup.denyAll" });
    result.hidden = false;
    result.textContent = reply.ok ? describe(reply.value) : reply.error.message;
    button.disabled = false;
    refresh();
  });
}

function describe({ denied, refused, emptied }: DenyAllResult): string {
  const parts: string[] = [];
  if (denied > 0) parts.push(`denied ${denied} request${denied === 1 ? "" : "s"} (signed)`);
  if (refused > 0) parts.push(`refused ${refused} pairing request${refused === 1 ? "" : "s"}`);
  if (emptied > 0) parts.push(`closed ${emptied} empty window${emptied === 1 ? "" : "s"}`);
  return parts.length === 0 ? "Nothing was waiting." : `Done: ${parts.join(", ")}.`;
}
