import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { HitlError, NATIVE_HOST_NAME } from "@hitl/verifier/protocol";

export const BROWSERS = ["chrome", "chromium", "brave", "edge", "firefox"] as const;
export type BrowserName = (typeof BROWSERS)[number];

export function isBrowserName(value: string): value is BrowserName {
  return (BROWSERS as readonly string[]).includes(value);
}

export function isChromiumFamily(browser: BrowserName): boolean {
  return browser !== "firefox";
}

export interface LocationOptions {
  /** HOME and XDG_CONFIG_HOME are read from here (default process.env). */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** A custom Chromium profile (`--user-data-dir`): its own NativeMessagingHosts/ is used. */
  userDataDir?: string;
}

export interface ManifestLocation {
  browser: BrowserName;
  /** The browser's per-user root; if it does not exist, the browser was never run by this user. */
  profileRoot: string;
  dir: string;
  file: string;
}

/*
 * Per-user manifest directories (Chrome: "Native messaging host location"; MDN: "Native
 * manifests", manifest location). Chromium-family browsers on Linux honour XDG_CONFIG_HOME.
 */
const LINUX_CHROMIUM_ROOTS: Record<Exclude<BrowserName, "firefox">, string> = {
  chrome: "google-chrome",
  chromium: "chromium",
  brave: join("BraveSoftware", "Brave-Browser"),
  edge: "microsoft-edge",
};

const MAC_ROOTS: Record<BrowserName, string> = {
  chrome: join("Google", "Chrome"),
  chromium: "Chromium",
  brave: join("BraveSoftware", "Brave-Browser"),
  edge: "Microsoft Edge",
  firefox: "Mozilla",
};

export function manifestLocation(browser: BrowserName, options: LocationOptions = {}): ManifestLocation {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = env.HOME !== undefined && env.HOME.length > 0 ? env.HOME : homedir();
  let profileRoot: string;
  let dir: string;
  if (options.userDataDir !== undefined) {
    if (!isChromiumFamily(browser)) {
      throw new HitlError(
        "ERR_USAGE",
        "Firefox has no per-profile native-messaging directory; use --user-data-dir with chrome, chromium, brave or edge only.",
      );
    }
    profileRoot = resolve(options.userDataDir);
    dir = join(profileRoot, "NativeMessagingHosts");
  } else if (platform === "linux") {
    if (browser === "firefox") {
      profileRoot = join(home, ".mozilla");
      dir = join(profileRoot, "native-messaging-hosts");
    } else {
      const xdg = env.XDG_CONFIG_HOME;
      const configHome = xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, ".config");
      profileRoot = join(configHome, LINUX_CHROMIUM_ROOTS[browser]);
      dir = join(profileRoot, "NativeMessagingHosts");
    }
  } else if (platform === "darwin") {
    profileRoot = join(home, "Library", "Application Support", MAC_ROOTS[browser]);
    dir = join(profileRoot, "NativeMessagingHosts");
  } else {
    throw new HitlError(
      "ERR_CONFIG",
      `hitl setup knows the native-messaging locations of Linux and macOS only (this is ${platform}); on Windows the manifest is registered in the registry by hand.`,
    );
  }
  return { browser, profileRoot, dir, file: join(dir, `${NATIVE_HOST_NAME}.json`) };
}
