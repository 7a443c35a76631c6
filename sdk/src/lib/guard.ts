import { type Action, HitlError, type JsonValue } from "@hitl/verifier";
import { ApprovalUnavailable } from "../approval-errors.js";
import { createChallenge } from "../create-challenge.js";
import { expectApproval } from "../expect-approval.js";
import { requestApproval } from "../request-approval.js";
import { approvalStorage } from "./approval-context.js";
import type { GuardOptions } from "./approval-options.js";
import { defaultRequester } from "./requester.js";
import { snapshotArguments } from "./snapshot-arguments.js";

/**
 * The function both withApproval and the decorator return: snapshot the arguments, ask, verify,
 * then run `fn` with a copy of the snapshot under currentApproval(). Every failure throws one of
 * the typed errors and `fn` does not run.
 */
export function guard<This, Args extends unknown[], Result>(
  fn: (this: This, ...args: Args) => Result,
  describe: (this: This, ...args: Args) => string,
  options: GuardOptions,
  nameOf: (receiver: This) => string,
): (this: This, ...args: Args) => Promise<Awaited<Result>> {
  return async function guarded(this: This, ...args: Args): Promise<Awaited<Result>> {
    // Read once: every later step works on this snapshot, never on the caller's objects.
    const text = JSON.stringify(snapshotArguments(args));
    const copy = () => JSON.parse(text) as Args;
    const call = nameOf(this);
    // What the window shows under the summary and what the approval binds: the same document.
    const intent: JsonValue = { call, arguments: JSON.parse(text) as JsonValue[] };
    const summary = summaryFrom(describe, this, copy());
    const action: Action = { summary, details: intent };
    const requester = options.requester ?? defaultRequester("hitl-sdk");
    checkShowable(action, intent, options, requester);

    const outcome = await requestApproval({
      action,
      intent,
      requester,
      ...(options.aud !== undefined && { aud: options.aud }),
      ...(options.timeoutSeconds !== undefined && { timeoutSeconds: options.timeoutSeconds }),
      ...(options.port !== undefined && { port: options.port }),
      ...(options.keys !== undefined && { keys: options.keys }),
      ...(options.nonces !== undefined && { nonces: options.nonces }),
      ...(options.signal !== undefined && { signal: options.signal }),
      ...(options.env !== undefined && { env: options.env }),
    });
    const { receipt, approver, challenge } = expectApproval(outcome);
    // A fresh copy: whatever the caller did to its objects meanwhile, this is what was approved.
    const approved = copy();
    const bound: JsonValue = { call, arguments: JSON.parse(text) as JsonValue[] };
    return await approvalStorage.run({ receipt, approver, challenge, intent: bound }, () => fn.apply(this, approved));
  };
}

function summaryFrom<This, Args extends unknown[]>(describe: (this: This, ...args: Args) => string, receiver: This, args: Args): string {
  let summary: unknown;
  try {
    summary = describe.apply(receiver, args);
  } catch (error) {
    throw new ApprovalUnavailable(
      "ERR_USAGE",
      `Cannot ask for approval: describe(...) threw (${error instanceof Error ? error.message : String(error)}). Nobody was asked and nothing ran.`,
      { cause: error },
    );
  }
  if (typeof summary !== "string") {
    throw new ApprovalUnavailable(
      "ERR_USAGE",
      `Cannot ask for approval: describe(...) must return the action text as a string, got ${summary === null ? "null" : typeof summary}. Nobody was asked and nothing ran.`,
    );
  }
  return summary;
}

/**
 * The checks every receiver applies (summary text, details size and depth, audience), run here
 * first on a throw-away challenge, so a summary or arguments the window could not show are the
 * caller's usage error, reported before anything is sent.
 */
function checkShowable(action: Action, intent: JsonValue, options: GuardOptions, requester: GuardOptions["requester"]): void {
  try {
    createChallenge({
      action,
      intent,
      ...(requester !== undefined && { requester }),
      ...(options.aud !== undefined && { aud: options.aud }),
      ...(options.timeoutSeconds !== undefined && { ttlSeconds: options.timeoutSeconds }),
    });
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    throw new ApprovalUnavailable(
      "ERR_USAGE",
      `Cannot ask for approval: the approval window could not show this call (${error.code}: ${error.message}). Nobody was asked and nothing ran.`,
      { cause: error },
    );
  }
}
