import { requestApproval } from "@hitl/sdk";
import { defaultRequester } from "@hitl/sdk/internal";
import { HitlError, type JsonValue, LIMITS } from "@hitl/verifier";
import { hasVisibleCharacter } from "@hitl/verifier/protocol";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as z from "zod";
import { runDoctorChecks } from "../doctor/run-checks.js";
import { errorResult, outcomeResult } from "./outcome-result.js";

export interface ApprovalServerOptions {
  name: string;
  version: string;
  port: number;
  aud: string;
  defaultTimeoutSeconds: number;
  env: NodeJS.ProcessEnv;
  /** Aborted when the session ends: every request still waiting is withdrawn. */
  signal: AbortSignal;
}

const usage = (what: string): string => `ERR_USAGE: ${what}`;

/** request_approval's arguments; every message names the code and says what to send instead. */
const REQUEST_INPUT = {
  action: z
    .string({ error: usage("'action' is required: one string saying exactly what will happen, e.g. \"delete /tmp/build\".") })
    .refine(hasVisibleCharacter, { error: usage("'action' must contain visible text: say exactly what will happen.") }),
  details: z
    .json({ error: usage("'details' must be a JSON value (object, array, string, number, boolean or null).") })
    .optional()
    .describe("structured details shown under the action, e.g. the exact command or file and content"),
  timeout: z
    .number({ error: usage(`'timeout' must be a whole number of seconds from 1 to ${LIMITS.maxLifetimeSeconds}.`) })
    .int({ error: usage(`'timeout' must be a whole number of seconds from 1 to ${LIMITS.maxLifetimeSeconds}.`) })
    .min(1, { error: usage(`'timeout' must be a whole number of seconds from 1 to ${LIMITS.maxLifetimeSeconds}.`) })
    .max(LIMITS.maxLifetimeSeconds, { error: usage(`'timeout' must be a whole number of seconds from 1 to ${LIMITS.maxLifetimeSeconds}.`) })
    .optional()
    .describe("seconds the human has to decide"),
};

const APPROVER = z.object({
  sub: z.string(),
  kid: z.string(),
  fingerprint: z.string(),
  publicKey: z.string(),
  label: z.string().optional(),
});

const REQUEST_OUTPUT = {
  decision: z.enum(["approved", "denied", "timeout"]).describe("approved only after the signed receipt was fully verified"),
  message: z.string(),
  code: z.string().optional().describe("ERR_DENIED, ERR_WITHDRAWN, ERR_TIMEOUT or ERR_EXPIRED when not approved"),
  challengeId: z.string().optional(),
  approver: APPROVER.optional(),
  receipt: z.record(z.string(), z.unknown()).optional().describe("the signed receipt (docs/protocol.md), verifiable offline"),
};

const CHECK = z.object({
  name: z.string(),
  status: z.enum(["pass", "warn", "fail", "skip"]),
  required: z.boolean(),
  detail: z.string(),
  code: z.string().optional(),
  remedy: z.string().optional(),
});

const STATUS_OUTPUT = { ok: z.boolean().describe("true when every required link works"), checks: z.array(CHECK) };

/**
 * The `hitl mcp` server: `request_approval` asks the human through the signing host and returns
 * only a verified decision; `approval_status` runs the checks of `hitl doctor`.
 */
export function createApprovalServer(options: ApprovalServerOptions): McpServer {
  const server = new McpServer({ name: options.name, version: options.version });

  server.registerTool(
    "request_approval",
    {
      title: "Ask a human to approve an action",
      description:
        "Shows the action to the human in their browser and waits for Approve or Deny, signed with their key and verified here. " +
        "Call it before doing anything destructive or irreversible; proceed only when decision is 'approved', and then do exactly the action described.",
      inputSchema: REQUEST_INPUT,
      outputSchema: REQUEST_OUTPUT,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async ({ action, details, timeout }, extra) => {
      const clientName = server.server.getClientVersion()?.name;
      try {
        const outcome = await requestApproval({
          action: details === undefined ? { summary: action } : { summary: action, details: details as JsonValue },
          aud: options.aud,
          timeoutSeconds: timeout ?? options.defaultTimeoutSeconds,
          port: options.port,
          env: options.env,
          // The client cancelling the call withdraws the request: the window closes, nothing is signed.
          signal: AbortSignal.any([extra.signal, options.signal]),
          requester: defaultRequester(clientName === undefined ? "hitl mcp" : `hitl mcp (${clientName})`.slice(0, LIMITS.toolBytes)),
        });
        return outcomeResult(outcome, action);
      } catch (error) {
        if (error instanceof HitlError) return errorResult(error.code, error.message);
        throw error;
      }
    },
  );

  server.registerTool(
    "approval_status",
    {
      title: "Can hitl reach the human?",
      description:
        "Checks every link hitl needs (as `hitl doctor` does): host manifest, host secret, signing host, browser extension, key, pairing, replay store. Each failed check says what to do.",
      inputSchema: {},
      outputSchema: STATUS_OUTPUT,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const report = await runDoctorChecks({ port: options.port, env: options.env });
      const lines = report.checks.map(
        (check) => `${check.status.toUpperCase()} ${check.name}: ${check.detail}${check.remedy === undefined ? "" : ` → ${check.remedy}`}`,
      );
      const verdict = report.ok ? "hitl can reach the human." : "hitl cannot reach the human yet: fix the first FAIL above.";
      return { content: [{ type: "text", text: `${lines.join("\n")}\n${verdict}` }], structuredContent: { ...report } };
    },
  );
  return server;
}
