import { connect } from "node:net";
import {
  DEFAULT_PAIRING_TTL_SECONDS,
  EXIT_CODES,
  MAX_PAIRING_CODE_ATTEMPTS,
  type PairingCodePrompt,
  type PairingOutcome,
  pairApprover,
} from "@hitl/sdk";
import { HitlError, type KeyPolicy, type PairingRequest } from "@hitl/verifier";
import { askingArgs, askingFlags } from "../lib/args.js";
import { defineCommand, type FlagValues } from "../lib/command.js";
import { startCountdown } from "../lib/countdown.js";
import { type LineReader, openLineReader } from "../lib/line-reader.js";
import { approverJson, describeApprover, printJson, printProblem } from "../lib/output.js";

const OPTIONS = {
  name: {
    type: "string",
    value: "NAME",
    help: "approver name to register (default: your OS user name); pairing a key\nthat is already paired again replaces its entry (and its name)",
  },
  "key-lifetime": {
    type: "string",
    value: "L",
    help: "persistent (default): the browser keeps the key in its profile, across\nrestarts, where the same OS user can copy it from disk;\nsession: the key is held in memory only, never written to disk, and ends\nwhen the browser quits (then run hitl pair again)",
  },
  ...askingFlags(DEFAULT_PAIRING_TTL_SECONDS, "how long you have to click Pair and type the code"),
  json: { type: "boolean", help: "print {decision, code?, message?, approver?} on stdout" },
} as const;

export const command = defineCommand({
  name: "pair",
  usage: "[options]",
  description: `Local identity, no server. The terminal shows a code; the browser shows the same code; click
Pair there if they match. The pairing window then shows a second code (six letters, like
KPT-WRM): type it here. The extension proves it holds its key, the typed code proves the answer
came from that window, and only then is the approver added to the approvers file (mode 0600).

The code is read from stdin: on a terminal you have ${MAX_PAIRING_CODE_ATTEMPTS} tries; otherwise one line is read, once
(a program driving hitl pair writes the window's code there after Pair). No input: nothing is
written. Case, spaces and the hyphen do not matter. See the approvers with 'hitl approvers list'.`,
  options: OPTIONS,
  jsonError: { decision: "error" },
  withdrawOnSignal: true,
  exits: {
    ok: "paired",
    denied: "refused in the browser, or withdrawn with Ctrl-C",
    timeout: "timed out",
    error:
      "error (ERR_HOST_UNREACHABLE: the signing host is not running; ERR_PAIRING_CODE_MISMATCH:\nthe typed code is not the window's; ERR_PAIRING_CODE_MISSING: no input)",
  },
  async run({ values, json, signal, env }) {
    const args = pairArgs(values, env);
    // Before a code is shown: a code for a host that is not running would only be a dead end.
    await assertListening(args.port);
    return pair(args, json, signal);
  },
});
export const run = command.run;

type PairValues = FlagValues<typeof OPTIONS>;
type PairArgs = ReturnType<typeof pairArgs>;

function pairArgs(values: PairValues, env: NodeJS.ProcessEnv) {
  const keyLifetime = parseKeyLifetime(values["key-lifetime"]);
  if (values.name !== undefined && values.name.length === 0) throw new HitlError("ERR_USAGE", "--name must not be empty.");
  return { ...(values.name !== undefined && { name: values.name }), keyLifetime, ...askingArgs(values, DEFAULT_PAIRING_TTL_SECONDS, env) };
}

/** In-process form of the command line (tests): help, or the checked values. */
export function parsePairArgs(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const { help, json, values } = command.parse(argv);
  if (help) return { help: true as const, json };
  return { help: false as const, json, ...pairArgs(values, env) };
}

/** Local pairing keeps the key across browser restarts unless asked otherwise. */
function parseKeyLifetime(value: string | undefined): KeyPolicy {
  if (value === undefined) return "persistent";
  if (value === "persistent" || value === "session") return value;
  throw new HitlError("ERR_USAGE", `--key-lifetime must be persistent or session, not ${JSON.stringify(value)}.`);
}

/**
 * ERR_HOST_UNREACHABLE when nothing accepts a connection on the port (within a second). Only
 * that: who answers, and whether it proves itself hitl's, the pairing exchange checks itself.
 */
function assertListening(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const fail = (reason: string): void => {
      socket.destroy();
      reject(
        new HitlError(
          "ERR_HOST_UNREACHABLE",
          `No hitl signing host is listening on 127.0.0.1:${port} (${reason}), so no pairing code was shown. Open your browser with the hitl extension (it starts the host); if it is open, run 'hitl setup' once, restart the browser, and check with 'hitl doctor'.`,
        ),
      );
    };
    socket.setTimeout(1000, () => fail("no answer within 1 s"));
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
  });
}

async function pair(args: PairArgs, json: boolean, signal: AbortSignal): Promise<number> {
  let countdown = { stop() {} };
  const interactive = process.stdin.isTTY === true;
  const lines = openLineReader(process.stdin);
  try {
    const outcome = await pairApprover({
      aud: args.aud,
      timeoutSeconds: args.timeoutSeconds,
      port: args.port,
      keyLifetime: args.keyLifetime,
      signal,
      codeAttempts: interactive ? MAX_PAIRING_CODE_ATTEMPTS : 1,
      ...(args.name !== undefined && { subject: args.name }),
      onRequest: (request) => {
        showCode(request, json);
        countdown = startCountdown("Waiting for you to click Pair in your browser", request.exp);
      },
      readCode: (prompt) => {
        countdown.stop();
        return askForCode(lines, prompt, json, interactive);
      },
    });
    countdown.stop();
    report(outcome, json);
    return EXIT_CODES[outcome.decision];
  } finally {
    countdown.stop();
    lines.close();
  }
}

/**
 * The prompt goes where the human looks (stderr with --json, so stdout stays one JSON document).
 * Without a terminal one line is read; an empty one counts as no input.
 */
async function askForCode(lines: LineReader, prompt: PairingCodePrompt, json: boolean, interactive: boolean): Promise<string | undefined> {
  const out = json ? process.stderr : process.stdout;
  if (prompt.previous !== undefined) {
    const left = prompt.attempts - prompt.attempt + 1;
    out.write(`${prompt.previous.message.replace(/ Nothing was written\.$/, "")} ${left} ${left === 1 ? "try" : "tries"} left.\n`);
  }
  const question = "Type the code the pairing window now shows (six letters, like KPT-WRM; no window showed one? Ctrl-C, do not guess): ";
  out.write(interactive ? question : `${question}\n`);
  const line = await lines.next(prompt.signal);
  if (!interactive && line !== undefined && line.trim().length === 0) return undefined;
  return line;
}

/** The human must see the code even when stdout is reserved for JSON. */
function showCode(request: PairingRequest, json: boolean): void {
  const line = `Pairing code: ${request.code} — check that your browser shows the same code, then click Pair there\n`;
  (json ? process.stderr : process.stdout).write(line);
}

function report(outcome: PairingOutcome, json: boolean): void {
  if (json) {
    printJson({
      decision: outcome.decision,
      ...("code" in outcome && { code: outcome.code, message: outcome.message }),
      ...("approver" in outcome && { approver: approverJson(outcome.approver), approversFile: outcome.approversFile }),
    });
    return;
  }
  if (outcome.decision === "paired") {
    process.stdout.write(`PAIRED — ${describeApprover(outcome.approver)}\n`);
    return;
  }
  printProblem(outcome.code, outcome.message);
}
