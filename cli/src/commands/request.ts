import { createReadStream } from "node:fs";
import { type ApprovalOutcome, DEFAULT_TTL_SECONDS, EXIT_CODES, requestApproval } from "@hitl/sdk";
import type { EarlySign } from "@hitl/sdk/internal";
import { type Action, HitlError, type JsonValue, LIMITS } from "@hitl/verifier";
import { hasVisibleCharacter, parseStrictJson } from "@hitl/verifier/protocol";
import { type AskingArgs, askingArgs, askingFlags } from "../lib/args.js";
import { defineCommand, type FlagValues } from "../lib/command.js";
import { type Countdown, startCountdown } from "../lib/countdown.js";
import { markedForTerminal, usesColour } from "../lib/marked-output.js";
import { approverJson, describeApprover, printJson, printProblem } from "../lib/output.js";

const WAITING = "Waiting for approval in your browser";
/** While the request is re-sent after the browser side went away (see askHost). */
const LINK_LOST = "Browser connection lost; waiting for it to come back (a click in the approval window reconnects it)";

const OPTIONS = {
  action: { type: "string", value: "TEXT", help: "what will happen, exactly as the human will read it" },
  "action-file": {
    type: "string",
    value: "FILE",
    help: `read the action from FILE (- for standard input; a trailing newline is\ndropped): a long action (at most ${LIMITS.summaryBytes} UTF-8 bytes), or one a program wrote`,
  },
  details: { type: "string", value: "JSON", help: "structured details shown under the action (a JSON value)" },
  ...askingFlags(DEFAULT_TTL_SECONDS),
  json: {
    type: "boolean",
    help: "print {decision, code?, message?, approver?, receipt?} on stdout;\n'hitl verify' reads this document as it reads a receipt",
  },
} as const;

export const command = defineCommand({
  name: "request",
  usage: "(--action TEXT | --action-file FILE) [options]",
  description: "Shows the action in the browser's approval window and verifies the signed answer.",
  options: OPTIONS,
  jsonError: { decision: "error" },
  withdrawOnSignal: true,
  exits: {
    ok: "approved: the signature, challenge, audience, time and single use were all verified",
    denied: "denied: a denial signed by the approver, or withdrawn with Ctrl-C (nothing signed)",
    timeout: "timed out: no decision before the challenge expired",
    error: "error: host not running, extension not connected, not paired, bad signature, replay, ...",
  },
  notes: `Environment: HITL_PORT, HITL_REDIS_URL (replay store shared across machines; default: an
embedded store under HITL_STATE_DIR), HITL_CONFIG_DIR (approvers file), HITL_STATE_DIR.`,
  async run({ values, json, signal, env, earlySign }) {
    const args = requestArgs(values, env);
    const action = "action" in args ? args.action : await readActionFile(args.actionFile, args.details);
    return ask({ ...args, action }, json, signal, earlySign);
  },
});
export const run = command.run;

const ACTION_REQUIRED =
  '--action is required: say what will happen, e.g. --action "delete /tmp/testfile" (or --action-file FILE, - for standard input).';

type RequestValues = FlagValues<typeof OPTIONS>;

/** The checked command line; the action is either given or to be read from `actionFile`. */
export function requestArgs(values: RequestValues, env: NodeJS.ProcessEnv) {
  const given = values.action;
  const file = values["action-file"];
  if (given !== undefined && file !== undefined) {
    throw new HitlError("ERR_USAGE", "Give the action once: --action TEXT or --action-file FILE, not both.");
  }
  if (given === undefined && file === undefined) {
    throw new HitlError("ERR_USAGE", ACTION_REQUIRED);
  }
  if (file === "") throw new HitlError("ERR_USAGE", "--action-file must name a file (or - for standard input).");
  const details = values.details === undefined ? undefined : parseDetails(values.details);
  const asking = askingArgs(values, DEFAULT_TTL_SECONDS, env);
  if (given !== undefined) return { action: checkedAction(given, "--action", details), ...asking };
  return { actionFile: file!, ...(details !== undefined && { details }), ...asking };
}

/** In-process form of the command line (tests): help, or the checked values. */
export function parseRequestArgs(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const { help, json, values } = command.parse(argv);
  if (help) return { help: true as const, json };
  return { help: false as const, json, ...requestArgs(values, env) };
}

/** What the human will read, within the protocol's limits, named by the flag it came from. */
function checkedAction(summary: string, flag: string, details: JsonValue | undefined): Action {
  if (!hasVisibleCharacter(summary)) {
    throw new HitlError(
      "ERR_USAGE",
      flag === "--action" ? ACTION_REQUIRED : `${flag} holds no visible text; write what will happen there, e.g. "delete /tmp/testfile".`,
    );
  }
  const bytes = Buffer.byteLength(summary, "utf8");
  if (bytes > LIMITS.summaryBytes) {
    throw new HitlError(
      "ERR_USAGE",
      `${flag} is ${bytes} UTF-8 bytes; an action is at most ${LIMITS.summaryBytes}. Say it shorter and put the rest in --details JSON (at most ${LIMITS.detailsBytes} bytes).`,
    );
  }
  const action: Action = { summary };
  if (details !== undefined) action.details = details;
  return action;
}

/** --action-file FILE or - (standard input): read at most one byte past the limit, as strict UTF-8. */
async function readActionFile(file: string, details: JsonValue | undefined): Promise<Action> {
  const flag = `--action-file ${file === "-" ? "-" : JSON.stringify(file)}`;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    const stream = file === "-" ? process.stdin : createReadStream(file, { end: LIMITS.summaryBytes + 64 });
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      total += (chunk as Buffer).length;
      if (total > LIMITS.summaryBytes + 64) break;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new HitlError("ERR_USAGE", `Cannot read ${flag} (${code}). Check the path.`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HitlError("ERR_USAGE", `${flag} is not UTF-8 text.`);
  }
  // A file or `echo` ends with a newline the human did not mean as part of the action.
  return checkedAction(text.replace(/\r?\n$/, ""), flag, details);
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
  let details: JsonValue;
  try {
    details = parseStrictJson(text, "--details") as JsonValue;
  } catch (error) {
    throw new HitlError("ERR_USAGE", (error as Error).message);
  }
  const bytes = Buffer.byteLength(JSON.stringify(details), "utf8");
  if (bytes > LIMITS.detailsBytes) {
    throw new HitlError("ERR_USAGE", `--details is ${bytes} bytes as JSON; details are at most ${LIMITS.detailsBytes}.`);
  }
  return details;
}

async function ask(
  args: AskingArgs & { action: Action },
  json: boolean,
  signal: AbortSignal,
  earlySign: EarlySign | undefined,
): Promise<number> {
  // Ctrl-C (or a supervisor's SIGTERM) withdraws: the socket closes, the host closes the window.
  let countdown: Countdown = { setLabel() {}, stop() {} };
  try {
    const outcome = await requestApproval({
      action: args.action,
      aud: args.aud,
      timeoutSeconds: args.timeoutSeconds,
      port: args.port,
      signal,
      onSent: (challenge) => {
        if (!json) echoAction(challenge.action, process.stderr);
        countdown = startCountdown(WAITING, challenge.exp);
      },
      onLinkChange: (state) => countdown.setLabel(state === "lost" ? LINK_LOST : WAITING),
      ...(earlySign !== undefined && { earlySign }),
    });
    countdown.stop();
    report(outcome, json);
    return EXIT_CODES[outcome.decision];
  } finally {
    countdown.stop();
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
