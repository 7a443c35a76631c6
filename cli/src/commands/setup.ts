import { homedir } from "node:os";
import { parseArgs } from "node:util";
import {
  BROWSERS,
  type BrowserName,
  DEFAULT_EXTENSION_ID,
  type InstallResult,
  installHostManifests,
  isBrowserName,
  isChromiumFamily,
} from "@hitl/signing-host";
import { EXIT, ExitError } from "../lib/exit-error.js";

const HELP = `Usage: hitl setup [options]

Register the hitl signing host with your browsers (native messaging). Creates the host secret
(32 random bytes, mode 0600) in the hitl config directory unless a valid one exists: the host
proves every answer with it, so hitl trusts no other program on its port. Writes a launcher
script there that runs the host with this node (${process.execPath}) and that config directory,
and a manifest dev.hitl.signing_host.json per browser that points to it and allows only the
hitl extension. Restart the browser (or reload the extension) afterwards.

Options:
  --browser NAME        chrome, chromium, brave, edge, firefox or all; repeatable
                        (default: all, which skips browsers this user has never run;
                        with --user-data-dir: chromium)
  --extension-id ID     Chromium-family extension id to allow
                        (default: ${DEFAULT_EXTENSION_ID}, the hitl development build)
  --user-data-dir DIR   write DIR/NativeMessagingHosts/ instead, for a Chromium-family browser
                        started with --user-data-dir DIR
  --uninstall           remove the manifests (and the launcher once no browser uses it)
  -h, --help            show this help
`;

export interface SetupArgs {
  help: boolean;
  browsers: BrowserName[];
  /** "all" was asked for (or implied): skip browsers never run instead of creating their dirs. */
  onlyInstalled: boolean;
  extensionId?: string;
  userDataDir?: string;
  uninstall: boolean;
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        browser: { type: "string", multiple: true },
        "extension-id": { type: "string" },
        "user-data-dir": { type: "string" },
        uninstall: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/\s+/g, " ").trim().replace(/\.$/, "") : String(error);
    throw usage(`${detail}.`);
  }
}

export function parseSetupArgs(argv: string[]): SetupArgs {
  const values = parseFlags(argv);
  const userDataDir = values["user-data-dir"];
  if (userDataDir !== undefined && userDataDir.length === 0) throw usage("--user-data-dir must not be empty.");
  const names = values.browser ?? [userDataDir === undefined ? "all" : "chromium"];
  const wantsAll = names.includes("all");
  const browsers: BrowserName[] = [];
  for (const name of wantsAll ? BROWSERS : names) {
    if (!isBrowserName(name)) throw usage(`--browser must be one of ${[...BROWSERS, "all"].join(", ")}, got ${JSON.stringify(name)}.`);
    // With a custom profile every Chromium-family browser uses the same file; Firefox has none.
    if (wantsAll && userDataDir !== undefined && !isChromiumFamily(name)) continue;
    if (!browsers.includes(name)) browsers.push(name);
  }
  return {
    help: values.help === true,
    browsers,
    onlyInstalled: wantsAll && userDataDir === undefined,
    uninstall: values.uninstall === true,
    ...(values["extension-id"] !== undefined && { extensionId: values["extension-id"] }),
    ...(userDataDir !== undefined && { userDataDir }),
  };
}

function usage(message: string): ExitError {
  return new ExitError(EXIT.error, "ERR_USAGE", `${message} Run 'hitl setup --help' for the options.`);
}

/** `~/x` for paths under the home directory: shorter lines, same meaning. */
function tilde(path: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME !== undefined && env.HOME.length > 0 ? env.HOME : homedir();
  return path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

function report(result: InstallResult, uninstall: boolean, env: NodeJS.ProcessEnv): string {
  const width = Math.max(...result.manifests.map((m) => m.browser.length));
  const verbs: Record<string, string> = { written: "wrote", removed: "removed", absent: "absent", skipped: "skipped" };
  const lines = result.manifests.map((m) => {
    const head = `  ${m.browser.padEnd(width)}  ${verbs[m.action]!.padEnd(7)}  ${tilde(m.path, env)}`;
    if (m.action === "skipped") return `${head}\n  ${"".padEnd(width)}  ${"".padEnd(7)}  (${m.reason})`;
    return m.action === "written" ? `${head}  (allows ${m.allowed})` : head;
  });
  const launcher = tilde(result.launcher.path, env);
  const launcherLine = uninstall
    ? {
        removed: `Removed the launcher ${launcher}.`,
        kept: `Kept the launcher ${launcher} (another manifest may still use it).`,
        absent: "No launcher was installed.",
      }[result.launcher.action as "removed" | "kept" | "absent"]
    : result.launcher.action === "written"
      ? `Launcher: ${launcher}\n  runs ${result.launcher.node} ${result.launcher.hostMain}`
      : "";
  const secretLine =
    result.hostSecret === undefined
      ? ""
      : `Host secret: ${tilde(result.hostSecret.path, env)} (${result.hostSecret.action === "created" ? "created, mode 0600" : "kept"})\n`;
  const header = uninstall ? "Native-messaging host manifests:" : "Native-messaging host manifests (dev.hitl.signing_host):";
  const next = uninstall ? "" : "\nRestart the browser, or reload the hitl extension, so it starts the signing host.\n";
  return `${secretLine}${launcherLine}\n${header}\n${lines.join("\n")}\n${next}`;
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = parseSetupArgs(argv);
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const result = await installHostManifests({
    browsers: args.browsers,
    onlyInstalled: args.onlyInstalled,
    uninstall: args.uninstall,
    env,
    ...(args.extensionId !== undefined && { extensionId: args.extensionId }),
    ...(args.userDataDir !== undefined && { userDataDir: args.userDataDir }),
  });
  process.stdout.write(report(result, args.uninstall, env));
  if (!args.uninstall && !result.manifests.some((m) => m.action === "written")) {
    throw new ExitError(
      EXIT.error,
      "ERR_CONFIG",
      "No browser profile of this user was found, so nothing was installed. Name the browser with --browser chrome|chromium|brave|edge|firefox, or use --user-data-dir DIR for a custom profile.",
    );
  }
  return 0;
}
