import { type HostManifestReport, inspectHostManifests } from "@hitl/signing-host/install";
import { HitlError } from "@hitl/verifier";
import { type CheckResult, fail, pass } from "./check.js";

const NAME = "host manifest";
/** Stands for any Chromium-family browser in a profile directory (`hitl setup --user-data-dir` writes the same file). */
const PROFILE_BROWSER = "chromium";

/**
 * At least one browser must have a valid manifest naming the hitl host (launcher present and
 * executable, our extension allowed). A host that is up with an extension attached proves some
 * browser found one, e.g. in a custom profile this check cannot enumerate.
 */
export async function checkManifests(userDataDir: string | undefined, extensionConnected: boolean): Promise<CheckResult> {
  let reports: HostManifestReport[];
  try {
    // A profile directory has one NativeMessagingHosts/, read alike by every Chromium-family
    // browser: one manifest, reported once (not once per browser that could run the profile).
    reports = await inspectHostManifests(userDataDir === undefined ? {} : { userDataDir, browsers: [PROFILE_BROWSER] });
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return fail(NAME, "cannot inspect the browsers' manifest directories", error.code, error.message);
  }
  const valid = reports.filter((report) => report.valid);
  const broken = reports.filter((report) => report.exists && !report.valid);
  const brokenNote = broken.length > 0 ? `; broken for ${broken.map((r) => r.browser).join(", ")} (${broken[0]!.problem})` : "";
  if (valid.length > 0) {
    if (userDataDir !== undefined) return pass(NAME, `installed in ${userDataDir} (${valid[0]!.path}), for the browser using that profile`);
    return pass(NAME, `installed for ${valid.map((r) => r.browser).join(", ")}${brokenNote}`);
  }
  if (extensionConnected) {
    return pass(NAME, `none in ${userDataDir ?? "the default browser locations"}, but a browser started the host, so its manifest works`);
  }
  const first = broken[0];
  if (first?.problem !== undefined) {
    return fail(NAME, `the manifest for ${first.browser} at ${first.path} is not usable`, "ERR_CONFIG", first.problem);
  }
  if (userDataDir !== undefined) {
    // Firefox has no per-profile directory, and the Chromium family shares this one: no --browser to pick.
    return fail(
      NAME,
      `no hitl host manifest for ${userDataDir}`,
      "ERR_CONFIG",
      `Run 'hitl setup --user-data-dir ${userDataDir}', then restart the browser.`,
    );
  }
  return fail(
    NAME,
    "no hitl host manifest for any browser",
    "ERR_CONFIG",
    "Run 'hitl setup' (add --browser chrome|chromium|brave|edge|firefox to pick one), then restart the browser.",
  );
}
