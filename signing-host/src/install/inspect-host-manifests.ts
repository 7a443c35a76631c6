import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { resolvePaths } from "@hitl/verifier";
import { NATIVE_HOST_NAME } from "@hitl/verifier/protocol";
import { normalizeIds } from "./lib/ids.js";
import { parseLauncher } from "./lib/launcher.js";
import { BROWSERS, type BrowserName, isChromiumFamily, manifestLocation } from "./lib/locations.js";

export interface InspectOptions {
  browsers?: readonly BrowserName[];
  extensionId?: string;
  firefoxId?: string;
  userDataDir?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export interface HostManifestReport {
  browser: BrowserName;
  /** Where the browser looks for the manifest. */
  path: string;
  /** False when the browser's per-user directory does not exist (never run by this user). */
  browserFound: boolean;
  exists: boolean;
  /** The manifest would let our extension start a working host. */
  valid: boolean;
  /** The executable the manifest names (normally the hitl launcher). */
  pointsTo?: string;
  /** What that launcher runs, when it is one written by `hitl setup`. */
  runs?: { node: string; hostMain: string; configDir?: string };
  /** Why it is not valid, and what to do. */
  problem?: string;
}

/** Reads each browser's manifest and follows it to the launcher and the host script. For `hitl doctor`. */
export async function inspectHostManifests(options: InspectOptions = {}): Promise<HostManifestReport[]> {
  const ids = normalizeIds(options);
  const browsers = options.browsers ?? (options.userDataDir === undefined ? BROWSERS : BROWSERS.filter(isChromiumFamily));
  const remedyFlags = (browser: BrowserName) =>
    `--browser ${browser}${options.userDataDir === undefined ? "" : ` --user-data-dir ${options.userDataDir}`}`;
  const reports: HostManifestReport[] = [];
  // The config dir this process uses: the launcher must pin the same one, or host and CLI read different host secrets.
  const configDir = resolve(resolvePaths(options.env ?? process.env).configDir);
  for (const browser of browsers) {
    const location = manifestLocation(browser, {
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.platform === undefined ? {} : { platform: options.platform }),
      ...(options.userDataDir === undefined ? {} : { userDataDir: options.userDataDir }),
    });
    const report: HostManifestReport = {
      browser,
      path: location.file,
      browserFound: await isPresent(location.profileRoot),
      exists: false,
      valid: false,
    };
    const fix = `run \`hitl setup ${remedyFlags(browser)}\``;
    let text: string;
    try {
      text = await readFile(location.file, "utf8");
      report.exists = true;
    } catch {
      report.problem = `No host manifest at ${location.file}; ${fix}.`;
      reports.push(report);
      continue;
    }
    const problem = await checkManifest(text, browser, ids, configDir, report);
    if (problem === undefined) report.valid = true;
    else report.problem = `${problem}; ${fix}.`;
    reports.push(report);
  }
  return reports;
}

/** Fills report.pointsTo / report.runs along the way; returns the first problem found. */
async function checkManifest(
  text: string,
  browser: BrowserName,
  ids: { extensionId: string; firefoxId: string },
  configDir: string,
  report: HostManifestReport,
): Promise<string | undefined> {
  let manifest: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "The manifest is not a JSON object";
    manifest = parsed as Record<string, unknown>;
  } catch {
    return "The manifest is not valid JSON";
  }
  if (typeof manifest.path === "string") report.pointsTo = manifest.path;
  if (manifest.name !== NATIVE_HOST_NAME) return `The manifest's name is not ${NATIVE_HOST_NAME}`;
  if (manifest.type !== "stdio") return 'The manifest\'s type is not "stdio"';
  if (typeof manifest.path !== "string" || !isAbsolute(manifest.path)) return "The manifest's path is not an absolute path";
  const expected = isChromiumFamily(browser) ? `chrome-extension://${ids.extensionId}/` : ids.firefoxId;
  const allowed = isChromiumFamily(browser) ? manifest.allowed_origins : manifest.allowed_extensions;
  const field = isChromiumFamily(browser) ? "allowed_origins" : "allowed_extensions";
  if (!Array.isArray(allowed) || !allowed.includes(expected)) return `The manifest's ${field} does not include ${expected}`;
  if (!(await isExecutable(manifest.path))) return `The launcher ${manifest.path} is missing or not executable`;
  let launcherText: string;
  try {
    launcherText = await readFile(manifest.path, "utf8");
  } catch {
    return `The launcher ${manifest.path} cannot be read`;
  }
  const runs = parseLauncher(launcherText);
  if (runs === undefined) return undefined; // Someone's own launcher: executable is all we can check.
  report.runs = runs;
  if (!(await isExecutable(runs.node))) return `The launcher runs ${runs.node}, which is missing or not executable (node moved?)`;
  if (!(await isPresent(runs.hostMain))) return `The launcher runs ${runs.hostMain}, which is missing (hitl moved or not built?)`;
  if (runs.configDir === undefined) {
    return "The launcher was written by an older `hitl setup`: it does not pin the config dir that holds the host secret";
  }
  if (runs.configDir !== configDir) {
    return `The launcher starts the host with the config dir ${runs.configDir}, but hitl here uses ${configDir} (HITL_CONFIG_DIR), so they would not share the host secret`;
  }
  return undefined;
}

async function isPresent(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
