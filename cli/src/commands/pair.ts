import {
  DEFAULT_PAIRING_TTL_SECONDS,
  EXIT_CODES,
  MAX_PAIRING_CODE_ATTEMPTS,
  type PairingCodePrompt,
  type PairingOutcome,
  pairApprover,
} from "@hitl/sdk";
import { DEFAULT_AUDIENCE, HitlError, type KeyPolicy, type PairingRequest } from "@hitl/verifier";
import { parseAskingArgs, wantsJson } from "../lib/args.js";
import { startCountdown } from "../lib/countdown.js";
import { type LineReader, openLineReader } from "../lib/line-reader.js";
import { approverJson, describeApprover, printJson, printProblem } from "../lib/output.js";

const HELP = `Usage: hitl pair [options]

Pair this machine with the hitl extension in your browser (local identity, no server). The
terminal shows a code; the browser shows the same code; click Pair there if they match. The
pairing window then shows a second code (six letters, like KPT-WRM): type it here. The extension
proves it holds its key, the typed code proves the answer came from that window, and only then is
the approver added to the approvers file (mode 0600).

The code is read from stdin: on a terminal you have ${MAX_PAIRING_CODE_ATTEMPTS} tries; otherwise one line is read, once
(a program driving hitl pair writes the window's code there after Pair). No input: nothing is
written. Case, spaces and the hyphen do not matter.

Options:
  --name NAME         approver name to register (default: your OS user name)
  --key-lifetime L    persistent (default): the browser keeps the key in its profile, across
                      restarts, where the same OS user can copy it from disk;
                      session: the key is held in memory only, never written to disk, and ends
                      when the browser quits (then run hitl pair again)
  --aud AUD           audience (default "${DEFAULT_AUDIENCE}")
  --timeout SECONDS   how long you have to click Pair and type the code (default ${DEFAULT_PAIRING_TTL_SECONDS}, at most 3600)
  --port N            signing host port (default: HITL_PORT, then 7331)
  --json              print {decision, code?, message?, approver?} on stdout
  -h, --help          show this help

Exit codes: 0 paired, 1 refused in the browser or withdrawn with Ctrl-C, 2 timed out, 3 error
(ERR_PAIRING_CODE_MISMATCH: the typed code is not the window's; ERR_PAIRING_CODE_MISSING: no input).
`;

type PairArgs = ReturnType<typeof parsePairArgs>;

export function parsePairArgs(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  return parseAskingArgs("pair", argv, env, {
    options: { name: { type: "string" }, "key-lifetime": { type: "string" } },
    defaultTimeoutSeconds: DEFAULT_PAIRING_TTL_SECONDS,
    own(values): { name?: string; keyLifetime: KeyPolicy } {
      const keyLifetime = parseKeyLifetime(values["key-lifetime"]);
      if (values.name === undefined) return { keyLifetime };
      if (values.name.length === 0) throw new HitlError("ERR_USAGE", "--name must not be empty.");
      return { name: values.name, keyLifetime };
    },
  });
}

/** Local pairing keeps the key across browser restarts unless asked otherwise. */
function parseKeyLifetime(value: string | undefined): KeyPolicy {
  if (value === undefined) return "persistent";
  if (value === "persistent" || value === "session") return value;
  throw new HitlError("ERR_USAGE", `--key-lifetime must be persistent or session, not ${JSON.stringify(value)}.`);
}

export async function run(argv: string[]): Promise<number> {
  let args: PairArgs;
  try {
    args = parsePairArgs(argv);
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    report({ decision: "error", code: error.code, message: error.message }, wantsJson(argv));
    return EXIT_CODES.error;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }

  const withdraw = new AbortController();
  const onSignal = (): void => withdraw.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let countdown = { stop() {} };
  const interactive = process.stdin.isTTY === true;
  const lines = openLineReader(process.stdin);
  try {
    const outcome = await pairApprover({
      aud: args.aud,
      timeoutSeconds: args.timeoutSeconds,
      port: args.port,
      keyLifetime: args.keyLifetime,
      signal: withdraw.signal,
      codeAttempts: interactive ? MAX_PAIRING_CODE_ATTEMPTS : 1,
      ...(args.name !== undefined && { subject: args.name }),
      onRequest: (request) => {
        showCode(request, args.json);
        countdown = startCountdown("Waiting for you to click Pair in your browser", request.exp);
      },
      readCode: (prompt) => {
        countdown.stop();
        return askForCode(lines, prompt, args.json, interactive);
      },
    });
    countdown.stop();
    report(outcome, args.json);
    return EXIT_CODES[outcome.decision];
  } finally {
    countdown.stop();
    lines.close();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
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
