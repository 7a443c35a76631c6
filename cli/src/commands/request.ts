import { type ApprovalOutcome, DEFAULT_TTL_SECONDS, EXIT_CODES, requestApproval } from "@hitl/sdk";
import type { EarlySign } from "@hitl/sdk/internal";
import { type Action, DEFAULT_AUDIENCE, HitlError, hasVisibleCharacter, type JsonValue, parseStrictJson } from "@hitl/verifier";
import { parseAskingArgs, wantsJson } from "../lib/args.js";
import { type Countdown, startCountdown } from "../lib/countdown.js";
import { markedForTerminal, usesColour } from "../lib/marked-output.js";
import { approverJson, describeApprover, printJson, printProblem } from "../lib/output.js";

const HELP = `Usage: hitl request --action TEXT [options]

Ask the human to approve an action in the browser, and verify the signed answer.

Options:
  --action TEXT       what will happen, exactly as the human will read it (required)
  --details JSON      structured details shown under the action (a JSON value)
  --timeout SECONDS   how long the human has to decide (default ${DEFAULT_TTL_SECONDS}, at most 3600)
  --aud AUD           audience the approval is for (default "${DEFAULT_AUDIENCE}")
  --port N            signing host port (default: HITL_PORT, then 7331)
  --json              print {decision, code?, message?, approver?, receipt?} on stdout
  -h, --help          show this help

Exit codes:
  0  approved: the signature, challenge, audience, time and single use were all verified
  1  denied: a denial signed by the approver, or withdrawn with Ctrl-C (nothing signed)
  2  timed out: no decision before the challenge expired
  3  error: host not running, extension not connected, not paired, bad signature, replay, ...

Environment: HITL_PORT, HITL_REDIS_URL (replay store shared across machines; default: an
embedded store under HITL_STATE_DIR), HITL_CONFIG_DIR (approvers file), HITL_STATE_DIR.
`;

const WAITING = "Waiting for approval in your browser";
/** While the request is re-sent after the browser side went away (see askHost). */
const LINK_LOST = "Browser connection lost; waiting for it to come back (a click in the approval window reconnects it)";

export type RequestArgs = ReturnType<typeof parseRequestArgs>;

/** Validate the command line; every problem is ERR_USAGE (exit 3) with what to change. */
export function parseRequestArgs(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  return parseAskingArgs("request", argv, env, {
    options: { action: { type: "string" }, details: { type: "string" } },
    defaultTimeoutSeconds: DEFAULT_TTL_SECONDS,
    own(values): { action: Action } {
      if (values.action === undefined || !hasVisibleCharacter(values.action)) {
        throw new HitlError("ERR_USAGE", `--action is required: say what will happen, e.g. --action "delete /tmp/testfile".`);
      }
      const action: Action = { summary: values.action };
      if (values.details !== undefined) action.details = parseDetails(values.details);
      return { action };
    },
  });
}

function parseDetails(text: string): JsonValue {
  try {
    JSON.parse(text);
  } catch (error) {
    throw new HitlError(
      "ERR_USAGE",
      `--details is not valid JSON (${(error as Error).message}); pass one JSON value, e.g. --details '{"path":"/tmp/testfile"}'.`,
    );
  }
  // Then as the protocol reads JSON text: no duplicate names, numbers as canonical JSON writes
  // them (so the window shows, and the receipt signs, exactly what was typed).
  try {
    return parseStrictJson(text, "--details") as JsonValue;
  } catch (error) {
    throw new HitlError("ERR_USAGE", (error as Error).message);
  }
}

/** `context.earlySign`: the POST /sign bin.cts opened while starting (lib/early-sign.ts). */
export async function run(argv: string[], context: { earlySign?: EarlySign | undefined } = {}): Promise<number> {
  let args: RequestArgs;
  try {
    args = parseRequestArgs(argv);
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    report({ decision: "error", code: error.code, message: error.message }, wantsJson(argv));
    return EXIT_CODES.error;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }

  // Ctrl-C (or a supervisor's SIGTERM) withdraws: the socket closes, the host closes the window.
  const withdraw = new AbortController();
  const onSignal = (): void => withdraw.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let countdown: Countdown = { setLabel() {}, stop() {} };
  try {
    const outcome = await requestApproval({
      action: args.action,
      aud: args.aud,
      timeoutSeconds: args.timeoutSeconds,
      port: args.port,
      signal: withdraw.signal,
      onSent: (challenge) => {
        if (!args.json) echoAction(challenge.action, process.stderr);
        countdown = startCountdown(WAITING, challenge.exp);
      },
      onLinkChange: (state) => countdown.setLabel(state === "lost" ? LINK_LOST : WAITING),
      ...(context.earlySign !== undefined && { earlySign: context.earlySign }),
    });
    countdown.stop();
    report(outcome, args.json);
    return EXIT_CODES[outcome.decision];
  } finally {
    countdown.stop();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

/**
 * On a terminal, the person at the keyboard sees what the browser will show, marked the same way.
 * Only on a terminal (like the countdown): a log or a calling program gets no new lines.
 */
export function echoAction(action: Action, stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): void {
  if (stream.isTTY !== true) return;
  const colour = usesColour(stream, env);
  let text = `Asking to approve: ${markedForTerminal(action.summary, colour, { indent: "  " })}\n`;
  if (action.details !== undefined) {
    text += `Details: ${markedForTerminal(JSON.stringify(action.details, null, 2), colour, { keepIndentation: true, indent: "  " })}\n`;
  }
  stream.write(text);
}

function report(outcome: ApprovalOutcome, json: boolean): void {
  if (json) {
    printJson({
      decision: outcome.decision,
      ...("code" in outcome && { code: outcome.code, message: outcome.message }),
      ...("approver" in outcome && { approver: approverJson(outcome.approver) }),
      ...("receipt" in outcome && { receipt: outcome.receipt }),
      ...("verifiedBy" in outcome && outcome.verifiedBy !== undefined && { verifiedBy: outcome.verifiedBy }),
    });
    return;
  }
  switch (outcome.decision) {
    case "approve":
      process.stdout.write(
        `APPROVED — signature verified${outcome.verifiedBy === undefined ? "" : ` by ${outcome.verifiedBy.server}`}\nUser: ${describeApprover(outcome.approver, outcome.verifiedBy?.username)}\nChallenge: ${outcome.challenge.nonce.slice(0, 12)}…\n`,
      );
      return;
    case "deny":
      if ("receipt" in outcome) {
        process.stdout.write(
          `DENIED — ${describeApprover(outcome.approver, outcome.verifiedBy?.username)} denied this action (signature verified). Do not proceed.\n`,
        );
        return;
      }
      printProblem(outcome.code, outcome.message);
      return;
    default:
      printProblem(outcome.code, outcome.message);
  }
}
