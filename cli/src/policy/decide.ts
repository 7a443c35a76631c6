import { builtinVerdict, evaluate } from "./lib/evaluate.js";
import type { LoadedPolicy, PolicyVerdict, ToolCall } from "./types.js";

/**
 * The policy's verdict on one call: the first matching rule for each part (a shell command line
 * is judged part by part: every simple command, nested and wrapped ones included) and the
 * strictest of the parts (deny > ask > allow). A change to hitl's configuration or an agent's
 * hook settings is always at least "ask"; secure mode and a broken policy make everything
 * "ask". Never throws: anything unexpected is "ask", with the reason.
 */
export async function decide(policy: LoadedPolicy, call: ToolCall, options: { env?: NodeJS.ProcessEnv } = {}): Promise<PolicyVerdict> {
  try {
    return (await evaluate(policy, call, options.env ?? process.env)).verdict;
  } catch (error) {
    return builtinVerdict(
      "ask",
      "builtin:error",
      `hitl could not judge the call (${error instanceof Error ? error.message : String(error)}), so it asks.`,
    );
  }
}
