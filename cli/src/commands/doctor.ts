import { parseArgs } from "node:util";
import { resolvePort } from "@hitl/sdk";
import { HitlError } from "@hitl/verifier";
import { wantsJson, withUsageErrors } from "../lib/args.js";
import type { CheckResult } from "../lib/doctor/check.js";
import { runDoctorChecks } from "../lib/doctor/run-checks.js";
import { printJson, printProblem } from "../lib/output.js";

const HELP = `Usage: hitl doctor [options]

Check every link between this terminal and your browser, and say how to fix what is broken:
host manifest installed, host secret safe, signing host reachable and proving itself with that
secret (else: who else listens on the port), extension connected, key present, approver paired,
replay store working. In team mode (HITL_CONFIG_DIR/team.json): the hitl server, Keycloak,
the /v1/verify client credentials and the browser's team login instead of pairing and replay store.

Options:
  --port N             signing host port (default: HITL_PORT, then 7331)
  --user-data-dir DIR  also look for the host manifest in this browser profile directory
  --json               print {ok, checks:[{name, status, required, detail, code?, remedy?}]}
                       (status: pass, warn (works, but weakened: exit code stays 0), fail, skip)
  -h, --help           show this help

Exit code: 0 when every required check passes, 3 otherwise.
`;

interface DoctorArgs {
  help: boolean;
  json: boolean;
  port: number;
  userDataDir?: string;
}

export function parseDoctorArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DoctorArgs {
  const { values } = withUsageErrors("doctor", () =>
    parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        "user-data-dir": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }),
  );
  const dir = values["user-data-dir"];
  if (dir !== undefined && dir.length === 0) throw new HitlError("ERR_USAGE", "--user-data-dir must not be empty.");
  return {
    help: values.help === true,
    json: values.json === true,
    port: values.help === true ? 0 : resolvePort(values.port, env),
    ...(dir !== undefined && { userDataDir: dir }),
  };
}

export async function run(argv: string[]): Promise<number> {
  let args: DoctorArgs;
  try {
    args = parseDoctorArgs(argv);
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    if (wantsJson(argv)) printJson({ ok: false, code: error.code, message: error.message });
    else printProblem(error.code, error.message);
    return 3;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }

  const { ok, checks } = await runDoctorChecks({
    port: args.port,
    env: process.env,
    ...(args.userDataDir !== undefined && { userDataDir: args.userDataDir }),
  });

  if (args.json) printJson({ ok, checks });
  else printReport(checks, ok);
  return ok ? 0 : 3;
}

const MARKS = { pass: "✓", warn: "!", fail: "✗", skip: "-" } as const;

function printReport(checks: CheckResult[], ok: boolean): void {
  const width = Math.max(...checks.map((check) => check.name.length));
  const lines = checks.map((check) => {
    const head = `${MARKS[check.status]} ${check.name.padEnd(width)}  ${check.detail}`;
    return check.remedy === undefined ? head : `${head}\n  ${" ".repeat(width)}  → ${check.remedy}`;
  });
  const verdict = ok
    ? "All checks passed: 'hitl request' can reach you."
    : "Some checks failed: fix the first ✗ above, then run 'hitl doctor' again.";
  process.stdout.write(`${lines.join("\n")}\n\n${verdict}\n`);
}
