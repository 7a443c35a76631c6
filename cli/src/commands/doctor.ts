import { resolvePort } from "@hitl/sdk";
import { HitlError } from "@hitl/verifier";
import { PORT_FLAG } from "../lib/args.js";
import { defineCommand, EXIT } from "../lib/command.js";
import type { CheckResult } from "../lib/doctor/check.js";
import { runDoctorChecks } from "../lib/doctor/run-checks.js";
import { printJson } from "../lib/output.js";

export const command = defineCommand({
  name: "doctor",
  usage: "[options]",
  description: `Host manifest installed, host secret safe, signing host reachable and proving itself with that
secret (else: who else listens on the port), extension connected, key present, approver paired,
replay store working. In team mode (HITL_CONFIG_DIR/team.json): the hitl server, Keycloak,
the /v1/verify client credentials and the browser's team login instead of pairing and replay store.`,
  options: {
    port: PORT_FLAG,
    "user-data-dir": { type: "string", value: "DIR", help: "also look for the host manifest in this browser profile directory" },
    json: {
      type: "boolean",
      help: "print {ok, checks:[{name, status, required, detail, code?, remedy?}]}\n(status: pass, warn (works, but weakened: exit code stays 0), fail, skip)",
    },
  },
  jsonError: { ok: false },
  exits: { ok: "every required check passes", error: "a required check failed, or a bad command line" },
  async run({ values, json, env }) {
    const dir = values["user-data-dir"];
    if (dir !== undefined && dir.length === 0) throw new HitlError("ERR_USAGE", "--user-data-dir must not be empty.");
    const { ok, checks } = await runDoctorChecks({
      port: resolvePort(values.port, env),
      env,
      ...(dir !== undefined && { userDataDir: dir }),
    });
    if (json) printJson({ ok, checks });
    else printReport(checks, ok);
    return ok ? EXIT.ok : EXIT.error;
  },
});
export const run = command.run;

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
