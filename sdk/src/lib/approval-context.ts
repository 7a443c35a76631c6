import { AsyncLocalStorage } from "node:async_hooks";
import type { Challenge, JsonValue, Receipt } from "@hitl/verifier";
import type { Approver } from "./outcome.js";

/** The verified approval a guarded function runs under. */
export interface CurrentApproval {
  /** The receipt, verified and its nonce consumed: forward it to a service that re-verifies. */
  readonly receipt: Receipt;
  readonly approver: Approver;
  readonly challenge: Challenge;
  /** What the approval binds: `{ call, arguments }`; challenge.intent is its digest. */
  readonly intent: JsonValue;
}

/** Set only while a guarded function (and what it awaits or schedules) runs. */
export const approvalStorage = /* @__PURE__ */ new AsyncLocalStorage<CurrentApproval>();
