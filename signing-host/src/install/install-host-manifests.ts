import { existsSync, rmSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { createHostSecret, resolvePaths } from "@hitl/verifier";
import { HitlError } from "@hitl/verifier/protocol";
import { HOST_MAIN_PATH } from "../host-main-path.js";
import { inspectHostManifests } from "./inspect-host-manifests.js";
import { normalizeIds } from "./lib/ids.js";
import { launcherPath, launcherScript, writeFileAtomic } from "./lib/launcher.js";
import { BROWSERS, type BrowserName, type ManifestLocation, manifestLocation } from "./lib/locations.js";
import { allowedCaller, buildManifest } from "./lib/manifest.js";

export interface InstallOptions {
  browsers: readonly BrowserName[];
  /** Chromium-family extension id (default: the development id of extension/extension-id.json). */
  extensionId?: string;
  /** Firefox add-on id (default approver@hitl.dev). */
  firefoxId?: string;
  /** A custom Chromium profile: write to DIR/NativeMessagingHosts/ only. */
  userDataDir?: string;
  uninstall?: boolean;
  /**
   * Skip browsers whose per-user directory does not exist (never run by this user) instead of
   * creating it. `hitl setup --browser all` sets this; naming a browser does not.
   */
  onlyInstalled?: boolean;
  /** HOME, XDG_CONFIG_HOME and HITL_CONFIG_DIR come from here (default process.env). */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** The node the launcher runs (default: this one, process.execPath). */
  nodePath?: string;
  /** The host script the launcher runs (default: signing-host/dist/main.js). */
  hostMain?: string;
}

export type ManifestAction = "written" | "removed" | "absent" | "skipped";

export interface InstallResult {
  /** The per-user host secret (created when missing, kept when valid; never removed by uninstall). */
  hostSecret?: { path: string; action: "created" | "kept" };
  launcher: { path: string; node: string; hostMain: string; action: "written" | "removed" | "kept" | "absent" };
  manifests: Array<{ browser: BrowserName; path: string; action: ManifestAction; allowed: string; reason?: string }>;
}

/**
 * Registers the signing host with browsers: one launcher script (0755) in the hitl config
 * directory and one manifest per browser pointing at it. With `uninstall`, removes them again.
 */
export async function installHostManifests(options: InstallOptions): Promise<InstallResult> {
  const env = options.env ?? process.env;
  const ids = normalizeIds(options);
  if (options.browsers.length === 0) throw new HitlError("ERR_USAGE", "Name at least one browser.");
  const locationOptions = {
    env,
    ...(options.platform === undefined ? {} : { platform: options.platform }),
    ...(options.userDataDir === undefined ? {} : { userDataDir: options.userDataDir }),
  };
  // Resolve every location first: an unsupported combination fails before anything is written.
  const locations = dedupe(options.browsers.map((browser) => manifestLocation(browser, locationOptions)));
  const node = options.nodePath ?? process.execPath;
  const hostMain = options.hostMain ?? HOST_MAIN_PATH;
  const paths = resolvePaths(env);
  // Absolute: the launcher pins it for a host started in the browser's working directory.
  const configDir = resolve(paths.configDir);
  const hostSecretFile = resolve(paths.hostSecretFile);
  const launcher = launcherPath(configDir);

  if (options.uninstall === true) return uninstall(locations, launcher, { node, hostMain }, ids, options, locationOptions);

  for (const [label, path] of [
    ["node", node],
    ["host script", hostMain],
  ] as const) {
    if (!isAbsolute(path)) throw new HitlError("ERR_CONFIG", `The ${label} path must be absolute, got ${path}.`);
  }
  if (!existsSync(hostMain)) {
    throw new HitlError(
      "ERR_CONFIG",
      `The signing host is not built (${hostMain} is missing); run \`pnpm build\` first, then hitl setup again.`,
    );
  }

  const manifests: InstallResult["manifests"] = [];
  const toWrite: ManifestLocation[] = [];
  for (const location of locations) {
    const allowed = allowedCaller(location.browser, ids);
    if (options.onlyInstalled === true && !existsSync(location.profileRoot)) {
      manifests.push({
        browser: location.browser,
        path: location.file,
        action: "skipped",
        allowed,
        reason: `${location.profileRoot} does not exist (not used by this user); name it with --browser ${location.browser} to install anyway`,
      });
    } else {
      toWrite.push(location);
    }
  }
  // The secret first: a host the browser starts from the new launcher must find it.
  const hostSecret = toWrite.length > 0 ? { path: hostSecretFile, action: await createHostSecret(hostSecretFile) } : undefined;
  if (toWrite.length > 0) writeFileAtomic(launcher, launcherScript(node, hostMain, configDir), 0o755);
  for (const location of toWrite) {
    const manifest = buildManifest(location.browser, launcher, ids);
    writeFileAtomic(location.file, `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
    manifests.push({ browser: location.browser, path: location.file, action: "written", allowed: allowedCaller(location.browser, ids) });
  }
  manifests.sort((a, b) => BROWSERS.indexOf(a.browser) - BROWSERS.indexOf(b.browser));
  return {
    ...(hostSecret !== undefined && { hostSecret }),
    launcher: { path: launcher, node, hostMain, action: toWrite.length > 0 ? "written" : "absent" },
    manifests,
  };
}

async function uninstall(
  locations: ManifestLocation[],
  launcher: string,
  runs: { node: string; hostMain: string },
  ids: { extensionId: string; firefoxId: string },
  options: InstallOptions,
  locationOptions: { env: NodeJS.ProcessEnv; platform?: NodeJS.Platform },
): Promise<InstallResult> {
  const manifests: InstallResult["manifests"] = locations.map((location) => {
    const present = existsSync(location.file);
    if (present) rmSync(location.file);
    return {
      browser: location.browser,
      path: location.file,
      action: present ? "removed" : "absent",
      allowed: allowedCaller(location.browser, ids),
    };
  });
  // The launcher goes only when no manifest in a default location still points at it. Custom
  // profiles (--user-data-dir) cannot be enumerated, so uninstalling from one keeps it.
  let action: InstallResult["launcher"]["action"] = "absent";
  if (existsSync(launcher)) {
    const remaining = (await inspectHostManifests({ ...locationOptions, ...ids })).filter((r) => r.exists && r.pointsTo === launcher);
    if (options.userDataDir === undefined && remaining.length === 0) {
      rmSync(launcher);
      action = "removed";
    } else {
      action = "kept";
    }
  }
  return { launcher: { path: launcher, ...runs, action }, manifests };
}

/** With --user-data-dir every Chromium-family browser shares one file: write it once. */
function dedupe(locations: ManifestLocation[]): ManifestLocation[] {
  const seen = new Set<string>();
  return locations.filter((location) => !seen.has(location.file) && seen.add(location.file));
}
