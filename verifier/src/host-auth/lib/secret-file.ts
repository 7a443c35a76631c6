import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { HOST_AUTH } from "../../protocol/constants.js";
import { HitlError } from "../../protocol/errors.js";

/*
 * The host secret file: 43 base64url characters (32 bytes) and an optional final newline, in
 * the hitl config directory. Whoever can read it can pass for the signing host; whoever can
 * replace it (or its directory) can make the host and the CLI trust their own value. So on
 * POSIX both must belong to this user and grant nothing to group or others (file 0600,
 * directory 0700). On Windows the design is an owner-only ACL (docs/protocol.md section 6.1);
 * it is not checked yet, so the file is refused there rather than trusted unchecked.
 */

const CONTENT = /^[A-Za-z0-9_-]{43}\n?$/;
/** More than the content can ever be: a bound so a wrong path cannot make us read a large file. */
const MAX_BYTES = 64;

export function insecure(path: string, reason: string, fix: string): HitlError {
  return new HitlError(
    "ERR_HOST_SECRET_INSECURE",
    `The hitl host secret ${path} ${reason}, so another user could read or replace it and pass for your signing host; it is refused. ${fix}`,
  );
}

/** The directory must be ours and closed to group and others. */
export function assertSafeDirectory(file: string, platform: NodeJS.Platform = process.platform): void {
  refuseUncheckable(file, platform);
  const dir = dirname(file);
  const info = statSync(dir);
  if (!info.isDirectory()) throw insecure(file, `is in ${dir}, which is not a directory`, "Set HITL_CONFIG_DIR to a directory.");
  if (info.uid !== process.getuid?.()) {
    throw insecure(
      file,
      `is in ${dir}, which belongs to uid ${info.uid}, not to you`,
      "Use a config directory of your own (HITL_CONFIG_DIR).",
    );
  }
  if ((info.mode & 0o077) !== 0) {
    throw insecure(file, `is in ${dir}, which is open to group or others (mode ${octal(info.mode)})`, `Run \`chmod 700 ${dir}\`.`);
  }
}

/** Reads and checks the open file: regular, ours, 0600 or stricter, well-formed. */
export function readCheckedSecret(fd: number, path: string): Buffer {
  const info = fstatSync(fd);
  if (!info.isFile()) throw insecure(path, "is not a regular file", `Remove it and run \`hitl setup\`.`);
  if (info.uid !== process.getuid?.()) {
    throw insecure(path, `belongs to uid ${info.uid}, not to you`, `Remove it and run \`hitl setup\` as yourself.`);
  }
  if ((info.mode & 0o077) !== 0) {
    throw insecure(
      path,
      `is readable or writable by group or others (mode ${octal(info.mode)})`,
      `Run \`chmod 600 ${path}\`, then restart the browser.`,
    );
  }
  if (info.size > MAX_BYTES) throw invalidSecret(path);
  const text = readFileSync(fd).toString("latin1");
  if (!CONTENT.test(text)) throw invalidSecret(path);
  const secret = Buffer.from(text.slice(0, 43), "base64url");
  if (secret.length !== HOST_AUTH.secretBytes || secret.toString("base64url") !== text.slice(0, 43)) throw invalidSecret(path);
  return secret;
}

/** Opens without following a symbolic link at the last component: the checked file is the file read. */
export function openSecret(path: string): number {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw missing(path);
    if (code === "ELOOP") throw insecure(path, "is a symbolic link", `Remove it and run \`hitl setup\`.`);
    throw new HitlError(
      "ERR_HOST_SECRET_INSECURE",
      `Cannot open the hitl host secret ${path} (${code ?? String(error)}); check its permissions, or run \`hitl setup\`.`,
      {
        cause: error,
      },
    );
  }
}

export function closeSecret(fd: number): void {
  closeSync(fd);
}

export function missing(path: string): HitlError {
  return new HitlError(
    "ERR_HOST_SECRET_MISSING",
    `The hitl host secret ${path} does not exist, so the signing host cannot be told apart from another program on its port. Run \`hitl setup\` (it creates the secret), then restart the browser.`,
  );
}

function invalidSecret(path: string): HitlError {
  return new HitlError(
    "ERR_HOST_SECRET_INVALID",
    `The hitl host secret ${path} is not 43 base64url characters (32 bytes). Remove it, run \`hitl setup\` to create a new one, then restart the browser.`,
  );
}

function refuseUncheckable(path: string, platform: NodeJS.Platform): void {
  if (platform === "win32") {
    throw insecure(path, "cannot be checked for an owner-only ACL on Windows yet", "Run hitl on Linux or macOS.");
  }
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, "0");
}
