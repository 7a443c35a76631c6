import { readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseServiceUrl, TEAM_CONFIG_FILE, TEAM_SECRET_FILE, writeTeamConfig } from "@hitl/sdk/internal";
import { DEFAULT_EXTENSION_ID } from "@hitl/signing-host";
import {
  BROWSERS,
  type BrowserName,
  type InstallResult,
  installHostManifests,
  isBrowserName,
  isChromiumFamily,
} from "@hitl/signing-host/install";
import { HitlError, resolvePaths } from "@hitl/verifier";
import { defineCommand, EXIT, type FlagValues, usageError } from "../lib/command.js";

const OPTIONS = {
  browser: {
    type: "string",
    multiple: true,
    value: "NAME",
    help: "chrome, chromium, brave, edge, firefox or all; repeatable\n(default: all, which skips browsers this user has never run;\nwith --user-data-dir: chromium)",
  },
  "extension-id": {
    type: "string",
    value: "ID",
    help: `Chromium-family extension id to allow\n(default: ${DEFAULT_EXTENSION_ID}, the hitl development build)`,
  },
  "user-data-dir": {
    type: "string",
    value: "DIR",
    help: "write DIR/NativeMessagingHosts/ instead, for a Chromium-family browser\nstarted with --user-data-dir DIR",
  },
  uninstall: { type: "boolean", help: "remove the manifests (and the launcher once no browser uses it)" },
  team: {
    type: "string",
    value: "URL",
    help: "team mode (approvers are Keycloak accounts; receipts verified by your\norganisation's hitl server): write HITL_CONFIG_DIR/team.json pointing\nthis machine at the hitl server URL (https; http only to loopback) and\ndo nothing else; needs --keycloak",
  },
  keycloak: { type: "string", value: "URL", help: "your Keycloak's base URL (realm hitl unless --realm)" },
  realm: { type: "string", value: "NAME", help: "Keycloak realm (default: hitl)" },
  "client-id": { type: "string", value: "ID", help: "client that may call the server's /v1/verify (default: hitl-verifier)" },
  "client-secret-file": {
    type: "string",
    value: "FILE",
    help: "read that client's secret from FILE (never from the command line) and\nkeep a copy in HITL_CONFIG_DIR/team-client-secret, mode 0600",
  },
  local: { type: "boolean", help: "back to local mode: remove team.json and team-client-secret" },
} as const;

export const command = defineCommand({
  name: "setup",
  usage: "[options]",
  description: `Creates the host secret (32 random bytes, mode 0600) in the hitl config directory unless a valid
one exists: the host proves every answer with it, so hitl trusts no other program on its port.
Writes a launcher script there that runs the host with this node (${process.execPath}) and that
config directory, and a manifest dev.hitl.signing_host.json per browser that points to it and
allows only the hitl extension. Restart the browser (or reload the extension) afterwards.`,
  options: OPTIONS,
  exits: { ok: "done", error: "nothing installed (no browser profile found), or a bad command line" },
  run: ({ values, env }) => setup(setupArgs(values), env),
});
export const run = command.run;

export interface SetupArgs {
  browsers: BrowserName[];
  /** "all" was asked for (or implied): skip browsers never run instead of creating their dirs. */
  onlyInstalled: boolean;
  extensionId?: string;
  userDataDir?: string;
  uninstall: boolean;
  /** `--team`: write the team configuration instead of installing the host. */
  team?: { server: string; keycloak: string; realm: string; clientId: string; clientSecretFile?: string };
  local: boolean;
}

/** In-process form of the command line (tests). */
export function parseSetupArgs(argv: string[]): SetupArgs & { help: boolean } {
  const { help, values } = command.parse(argv);
  return { help, ...setupArgs(values) };
}

function setupArgs(values: FlagValues<typeof OPTIONS>): SetupArgs {
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
  const teamFlags = ["keycloak", "realm", "client-id", "client-secret-file"] as const;
  let team: SetupArgs["team"];
  if (values.team !== undefined) {
    if (values.local === true) throw usage("--team and --local exclude each other.");
    if (values.keycloak === undefined) throw usage("--team needs --keycloak URL (your Keycloak's base address).");
    const realm = values.realm ?? "hitl";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(realm)) throw usage("--realm must be 1 to 64 of A-Z a-z 0-9 _ -.");
    const clientId = values["client-id"] ?? "hitl-verifier";
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(clientId)) throw usage("--client-id must be 1 to 64 of A-Z a-z 0-9 _ . -.");
    try {
      team = { server: parseServiceUrl(values.team, "--team"), keycloak: parseServiceUrl(values.keycloak, "--keycloak"), realm, clientId };
    } catch (error) {
      throw usage((error as Error).message);
    }
    const secretFile = values["client-secret-file"];
    if (secretFile !== undefined) team.clientSecretFile = secretFile;
  } else {
    const stray = teamFlags.find((flag) => values[flag] !== undefined);
    if (stray !== undefined) throw usage(`--${stray} only goes with --team URL.`);
  }
  return {
    local: values.local === true,
    ...(team !== undefined && { team }),
    browsers,
    onlyInstalled: wantsAll && userDataDir === undefined,
    uninstall: values.uninstall === true,
    ...(values["extension-id"] !== undefined && { extensionId: values["extension-id"] }),
    ...(userDataDir !== undefined && { userDataDir }),
  };
}

function usage(message: string): HitlError {
  return usageError("setup", message);
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

/** Install (or switch mode) as the checked command line says; failures are thrown. */
export async function setup(args: SetupArgs, env: NodeJS.ProcessEnv): Promise<number> {
  if (args.team !== undefined || args.local) return setupTeam(args, env);
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
    throw new HitlError(
      "ERR_CONFIG",
      "No browser profile of this user was found, so nothing was installed. Name the browser with --browser chrome|chromium|brave|edge|firefox, or use --user-data-dir DIR for a custom profile.",
    );
  }
  return EXIT.ok;
}

/** `--team` / `--local`: the one switch between the modes (lib/team/team-config.ts). */
function setupTeam(args: SetupArgs, env: NodeJS.ProcessEnv): number {
  const { configDir } = resolvePaths(env);
  if (args.local) {
    rmSync(join(configDir, TEAM_CONFIG_FILE), { force: true });
    rmSync(join(configDir, TEAM_SECRET_FILE), { force: true });
    process.stdout.write(
      `Local mode: removed ${tilde(join(configDir, TEAM_CONFIG_FILE), env)}. Receipts are verified against the approvers file again.\n`,
    );
    return EXIT.ok;
  }
  const team = args.team!;
  let secret: string | undefined;
  if (team.clientSecretFile !== undefined) {
    try {
      secret = readFileSync(team.clientSecretFile, "utf8").trim();
    } catch (error) {
      throw usage(`--client-secret-file cannot be read: ${(error as Error).message}.`);
    }
    if (secret.length < 16 || secret.length > 512 || /\s/.test(secret))
      throw usage("--client-secret-file does not hold a client secret (one line, 16 to 512 characters).");
  }
  writeTeamConfig(configDir, { v: 1, server: team.server, keycloak: team.keycloak, realm: team.realm, clientId: team.clientId }, secret);
  process.stdout.write(
    `Team mode: ${tilde(join(configDir, TEAM_CONFIG_FILE), env)} (mode 0600)\n` +
      `  hitl server  ${team.server}\n  Keycloak     ${team.keycloak} (realm ${team.realm})\n` +
      `  /v1/verify   as client ${team.clientId}${secret === undefined ? " (no secret yet: add --client-secret-file FILE)" : ", secret kept in team-client-secret (mode 0600)"}\n\n` +
      "In the browser: hitl toolbar button → Team sign-in…, enter these two addresses, then\n" +
      "'Sign in and register this browser's key'. Then run 'hitl doctor'.\n",
  );
  return EXIT.ok;
}
