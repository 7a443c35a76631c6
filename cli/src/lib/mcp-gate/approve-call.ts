import { requestApproval } from "@hitl/sdk";
import { defaultRequester } from "@hitl/sdk/internal";
import { DEFAULT_AUDIENCE, HitlError, type JsonValue } from "@hitl/verifier";
import { describeApprover } from "../output.js";

/** The upstream as the human sees it: the name it gave in initialize (or --name) and how it was started. */
export interface UpstreamIdentity {
  name: string;
  command: readonly string[];
}

export interface CallToApprove {
  server: UpstreamIdentity;
  tool: string;
  arguments: Readonly<Record<string, JsonValue>>;
}

export type CallVerdict = { forward: true } | { forward: false; code: string; text: string };

export interface ApproveCallOptions {
  port: number;
  timeoutSeconds: number;
  aud: string | undefined;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

/**
 * Ask the human about one tools/call and verify the answer. The window shows the server, the
 * tool and the arguments exactly; the intent binds the same three, so the receipt is proof of
 * approval for this call and no other. Anything but a verified approval keeps the call away
 * from the upstream, with a text that says what happened and what to do.
 */
export async function approveCall(call: CallToApprove, options: ApproveCallOptions): Promise<CallVerdict> {
  const intent: JsonValue = {
    mcp: "tools/call",
    server: { name: call.server.name, command: [...call.server.command] },
    tool: call.tool,
    arguments: call.arguments,
  };
  const refused = (code: string, what: string): CallVerdict => ({
    forward: false,
    code,
    text: `hitl mcp-gate: ${code}: ${what} The server "${call.server.name}" did not receive the call to tool "${call.tool}".`,
  });
  try {
    const outcome = await requestApproval({
      action: {
        summary: `Call the MCP tool "${call.tool}" of the server "${call.server.name}"`,
        details: { server: call.server.name, command: [...call.server.command], tool: call.tool, arguments: call.arguments },
      },
      intent,
      aud: options.aud ?? DEFAULT_AUDIENCE,
      timeoutSeconds: options.timeoutSeconds,
      port: options.port,
      env: options.env,
      signal: options.signal,
      requester: defaultRequester("hitl mcp-gate"),
    });
    switch (outcome.decision) {
      case "approve":
        return { forward: true };
      case "deny":
        return "receipt" in outcome
          ? refused(
              outcome.code,
              `${describeApprover(outcome.approver)} denied this call (signature verified). Do not retry it unchanged; ask the human what to do instead.`,
            )
          : refused(outcome.code, `${outcome.message}`);
      case "timeout":
        return refused(outcome.code, `Nobody approved this call within ${options.timeoutSeconds} s. Ask the human before trying it again.`);
      default:
        return refused(outcome.code, outcome.message);
    }
  } catch (error) {
    if (error instanceof HitlError) return refused(error.code, error.message);
    return refused("ERR_INTERNAL", `Asking for approval failed unexpectedly (${String(error)}); this is a bug in hitl, please report it.`);
  }
}
