import { checkName, type GuardOptions, normalizeGuardOptions, usage } from "./lib/approval-options.js";
import { guard } from "./lib/guard.js";

export type WithApprovalOptions = GuardOptions;

/**
 * `fn` behind a human's approval: the returned function takes the same arguments, asks first
 * (the window shows `describe(...args)` and the arguments), and runs `fn` only after a verified
 * approval, with a copy of the arguments as they were when it asked. Anything else throws
 * ApprovalDenied, ApprovalTimeout, ApprovalUnavailable or ReceiptInvalid, and `fn` does not run.
 * Inside `fn`, currentApproval() gives the receipt.
 *
 * The approval binds `{ call: options.name ?? fn.name, arguments }` (its digest is
 * challenge.intent). `this` is passed through to `fn` and `describe`, not serialised: it is not
 * part of what the human approves.
 */
export function withApproval<This, Args extends unknown[], Result>(
  fn: (this: This, ...args: Args) => Result,
  describe: (this: This, ...args: Args) => string,
  options?: WithApprovalOptions,
): (this: This, ...args: Args) => Promise<Awaited<Result>> {
  if (typeof fn !== "function") usage("withApproval(fn, describe) needs the function to guard first");
  if (typeof describe !== "function") usage("withApproval(fn, describe) needs describe, a function returning the action text");
  const normalized = normalizeGuardOptions(options);
  const name =
    normalized.name ?? (fn.name === "" ? usage("an anonymous function needs options.name") : checkName(fn.name, "the function's name"));
  return guard(fn, describe, normalized, () => name);
}
