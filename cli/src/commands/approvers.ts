import { type ApproverRecord, HitlError, listApprovers, removeApprovers, resolvePaths } from "@hitl/verifier";
import { markedPlainText } from "@hitl/verifier/protocol";
import { defineCommand, EXIT, usageError } from "../lib/command.js";
import { approverJson, describeApprover, printJson } from "../lib/output.js";

export const command = defineCommand({
  name: "approvers",
  usage: ["list [--json]", "remove NAME|KID [--json]"],
  description: `Local mode: the people (and their browser keys) whose approvals this machine accepts, kept in
the approvers file ($HITL_CONFIG_DIR/approvers.json, written by 'hitl pair'). A key is listed
once: pairing it again under another --name replaces its entry. One name may hold several keys
(one per browser).

  list     one line per key: name, fingerprint, key id, when it was paired
  remove   remove every entry with this name, or the one with this key id (as 'list' prints
           it); approvals signed with a removed key are refused from then on`,
  options: {
    json: { type: "boolean", help: "print {approversFile, approvers} / {approversFile, removed} on stdout" },
  },
  positionals: true,
  jsonError: {},
  exits: { ok: "listed, removed", error: "no such approver, an unreadable or invalid approvers file, or a bad command line" },
  async run({ positionals, json, env }) {
    const [op, ...rest] = positionals;
    const file = resolvePaths(env).approversFile;
    if (op === "list") {
      if (rest.length > 0) throw usageError("approvers", "'hitl approvers list' takes no arguments.");
      const approvers = await listApprovers(file);
      if (json) printJson({ approversFile: file, approvers: approvers.map(recordJson) });
      else process.stdout.write(describe(approvers, file));
      return EXIT.ok;
    }
    if (op === "remove") {
      if (rest.length !== 1 || rest[0]!.length === 0) {
        throw usageError("approvers", "'hitl approvers remove' takes one approver name or key id (see 'hitl approvers list').");
      }
      const removed = await removeApprovers(file, rest[0]!);
      if (removed.length === 0) {
        throw new HitlError(
          "ERR_UNKNOWN_APPROVER",
          `No approver has the name or key id ${JSON.stringify(rest[0])} in ${file}; nothing was changed. Run 'hitl approvers list' to see them.`,
        );
      }
      if (json) printJson({ approversFile: file, removed: removed.map(recordJson) });
      else process.stdout.write(removed.map((approver) => `REMOVED — ${describeApprover(approver)}\n`).join(""));
      return EXIT.ok;
    }
    throw usageError(
      "approvers",
      op === undefined
        ? "Say what to do: 'hitl approvers list' or 'hitl approvers remove NAME|KID'."
        : `Unknown approvers command '${op}'; use list or remove.`,
    );
  },
});
export const run = command.run;

function recordJson(approver: ApproverRecord): Record<string, string | number> {
  return { ...approverJson(approver), pairedAt: approver.pairedAt };
}

function describe(approvers: readonly ApproverRecord[], file: string): string {
  if (approvers.length === 0) return `Nobody is paired (${file} has no approvers). Run 'hitl pair' to add yourself.\n`;
  const when = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
  const lines = approvers.map(
    (a) =>
      `${describeApprover(a)}  kid ${a.kid}  paired ${when(a.pairedAt)} UTC${a.label === undefined ? "" : `  (${markedPlainText(a.label)})`}\n`,
  );
  return `${file}:\n${lines.join("")}`;
}
