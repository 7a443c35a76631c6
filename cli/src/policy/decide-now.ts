import { builtinVerdict, evaluateNow } from "./lib/evaluate.js";
import type { LoadedPolicy, PolicyVerdict, ToolCall } from "./types.js";

/**
 * decide()'s verdict without a promise, for callers on a per-message hot path (the MCP gate):
 * undefined when the call needs an asynchronous step first (a shell command's analysis, or a
 * policy's path globs before the glob matcher was loaded); then call decide(). Same answer as
 * decide() otherwise, and likewise never throws: anything unexpected is "ask", with the reason.
 */
export function decideNow(policy: LoadedPolicy, call: ToolCall, options: { env?: NodeJS.ProcessEnv } = {}): PolicyVerdict | undefined {
  try {
    return evaluateNow(policy, call, options.env ?? process.env)?.verdict;
  } catch (error) {
    return builtinVerdict(
      "ask",
      "builtin:error",
      `hitl could not judge the call (${error instanceof Error ? error.message : String(error)}), so it asks.`,
    );
  }
}
