import { chmodSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { makePrivateDirectorySync } from "@hitl/verifier";

/** File name of the launcher inside `<hitl config dir>/signing-host/`. */
export const LAUNCHER_NAME = "hitl-signing-host";

export function launcherPath(configDir: string): string {
  return join(configDir, "signing-host", LAUNCHER_NAME);
}

/** POSIX shell single-quoting: the only character needing care is the quote itself. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function shellUnquote(quoted: string): string {
  return quoted.slice(1, -1).replaceAll(`'\\''`, "'");
}

/**
 * The launcher pins an absolute node and an absolute host script: browsers start hosts with a
 * minimal environment, where `node` on PATH may be missing or another version. It also pins the
 * hitl config directory `hitl setup` used: a browser started from a desktop session may not
 * carry HITL_CONFIG_DIR, and the host must read the same host secret as the CLI.
 */
export function launcherScript(nodePath: string, hostMain: string, configDir: string): string {
  return [
    "#!/bin/sh",
    "# hitl signing-host launcher, written by `hitl setup`. Browsers run it through the",
    "# native-messaging manifest dev.hitl.signing_host.json. Re-run `hitl setup` after moving",
    "# node or hitl.",
    `HITL_CONFIG_DIR=${shellQuote(configDir)}`,
    "export HITL_CONFIG_DIR",
    `exec ${shellQuote(nodePath)} ${shellQuote(hostMain)} "$@"`,
    "",
  ].join("\n");
}

const EXEC_LINE = /^exec ('(?:[^']|'\\'')*') ('(?:[^']|'\\'')*') "\$@"$/m;
const CONFIG_LINE = /^HITL_CONFIG_DIR=('(?:[^']|'\\'')*')$/m;

/**
 * What a launcher written by launcherScript runs, or undefined for any other script. `configDir`
 * is absent for launchers written before the config dir was pinned.
 */
export function parseLauncher(text: string): { node: string; hostMain: string; configDir?: string } | undefined {
  const match = EXEC_LINE.exec(text);
  if (match === null) return undefined;
  const config = CONFIG_LINE.exec(text);
  return {
    node: shellUnquote(match[1]!),
    hostMain: shellUnquote(match[2]!),
    ...(config !== null && { configDir: shellUnquote(config[1]!) }),
  };
}

/** Write-then-rename, so a browser starting the host never reads half a file. */
export function writeFileAtomic(path: string, content: string, mode: number): void {
  makePrivateDirectorySync(dirname(path));
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, path);
}
