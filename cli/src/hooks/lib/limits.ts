import { LIMITS } from "@hitl/verifier/protocol";

/** Seconds the human has when the deciding rule names no timeout (the SDK's default). */
export const DEFAULT_HOOK_APPROVAL_SECONDS = 120;
/**
 * The longest a hook ever waits for a human: the protocol's longest challenge, plus the 5 s the
 * SDK waits past expiry for a silent host.
 */
export const MAX_HOOK_WAIT_SECONDS = LIMITS.maxLifetimeSeconds + 5;
/**
 * The hook timeout `hitl hook install` writes into the agent's settings: above the longest wait,
 * because an agent that kills a slow hook lets the call run. Not derived from the current
 * policy's longest rule timeout: the policy can change after install without a re-install.
 */
export const HOOK_TIMEOUT_SECONDS = MAX_HOOK_WAIT_SECONDS + 55;
