import { type HostManifestReport, inspectHostManifests } from "@hitl/signing-host/install";
import { HitlError } from "@hitl/verifier";
import { type CheckResult, fail, pass } from "./check.js";

const NAME = "host manifest";

/**
 * At least one browser must have a valid manifest naming the hitl host (launcher present and
 * executable, our extension allowed). A host that is up with an extension attached proves some
 * browser found one, e.g. in a custom profile this check cannot enumerate.
 */
export async function checkManifests(userDataDir: string | undefined, extensionConnected: boolean): Promise<CheckResult> {
  let reports: HostManifestReport[];
  try {
    reports = await inspectHostManifests(userDataDir === undefined ? {} : { userDataDir });
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return fail(NAME, "cannot inspect the browsers' manifest directories", error.code, error.message);
  }
  const valid = reports.filter((report) => report.valid);
  const broken = reports.filter((report) => report.exists && !report.valid);
  const brokenNote = broken.length > 0 ? `; broken for ${broken.map((r) => r.browser).join(", ")} (${broken[0]!.problem})` : "";
  if (valid.length > 0) {
    return pass(NAME, `installed for ${valid.map((r) => r.browser).join(", ")}${brokenNote}`);
  }
  if (extensionConnected) {
    return pass(NAME, `none in ${userDataDir ?? "the default browser locations"}, but a browser started the host, so its manifest works`);
  }
  const first = broken[0];
  if (first?.problem !== undefined) {
    return fail(NAME, `the manifest for ${first.browser} at ${first.path} is not usable`, "ERR_CONFIG", first.problem);
  }
  const where = userDataDir === undefined ? "any browser" : userDataDir;
  const flags = userDataDir === undefined ? "" : ` --user-data-dir ${userDataDir}`;
  return fail(
    NAME,
    `no hitl host manifest for ${where}`,
    "ERR_CONFIG",
    `Run 'hitl setup${flags}' (add --browser chrome|chromium|brave|edge|firefox to pick one), then restart the browser.`,
  );
}
