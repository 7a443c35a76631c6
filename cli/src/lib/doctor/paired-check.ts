import { formatFingerprint, type HealthResponseBody, HitlError, LocalKeyDirectory } from "@hitl/verifier";
import { type CheckResult, fail, pass, skip } from "./check.js";

const NAME = "approver paired";

/**
 * The approvers file must list the key the connected extension signs with (same subject and
 * key id); otherwise every approval from that browser would fail verification.
 */
export async function checkPaired(approversFile: string, health: HealthResponseBody | undefined): Promise<CheckResult> {
  let directory: LocalKeyDirectory;
  try {
    directory = await LocalKeyDirectory.open(approversFile);
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return fail(NAME, `cannot use ${approversFile}`, error.code, error.message);
  }
  const count = directory.approvers.length;
  if (count === 0) {
    return fail(
      NAME,
      `no approver in ${approversFile}`,
      "ERR_NOT_PAIRED",
      "Run 'hitl pair' with your browser open: click Pair when the codes match, then type the code the window shows.",
    );
  }
  const extension = health?.extension;
  if (extension === undefined || !extension.connected || extension.kid === undefined) {
    return skip(
      NAME,
      `${count} approver(s) in ${approversFile}; cannot tell whether the browser's key is one of them`,
      "Fix the host and extension checks first.",
    );
  }
  const sub = extension.subject;
  if (sub === undefined) {
    return fail(
      NAME,
      "the extension has no approver name yet (never paired)",
      "ERR_NOT_PAIRED",
      "Run 'hitl pair' and click Pair in the browser.",
    );
  }
  const found = await directory.lookup(sub, extension.kid);
  if (found === undefined) {
    return fail(
      NAME,
      `the browser signs as ${sub} with key ${formatFingerprint(extension.kid)}, which ${approversFile} does not list`,
      "ERR_NOT_PAIRED",
      "Run 'hitl pair' to register the browser's current key (it changes when the extension's key is regenerated).",
    );
  }
  return pass(NAME, `${sub} (key ${formatFingerprint(extension.kid)}) in ${approversFile}`);
}
