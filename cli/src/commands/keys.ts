import { resolvePort } from "@hitl/sdk";
import { listKeysThroughHost, readTeamConfig, revokeKeyThroughHost } from "@hitl/sdk/internal";
import { formatFingerprint, HitlError, readHostSecret, resolvePaths, type TeamKeyEntry } from "@hitl/verifier";
import { PORT_FLAG } from "../lib/args.js";
import { defineCommand, EXIT } from "../lib/command.js";
import { printJson } from "../lib/output.js";

/** The host waits 180 s for the window; the CLI a little longer, so the host's answer comes first. */
const TIMEOUT_MS = 190_000;

export const command = defineCommand({
  name: "keys",
  usage: ["list [--json]", "revoke KID [--json]"],
  description: `Team mode only (after 'hitl setup --team'). List or revoke the keys registered for your Keycloak
account, through the hitl extension: the extension's team window opens, you sign in there if
needed, and for a revocation you confirm that exact key with a click. Your login never leaves the
browser: this command receives only the public list (kid, created, expires, revoked, which key is
this browser's) or the kid that was revoked.`,
  options: { port: PORT_FLAG, json: { type: "boolean", help: "print {keys} / {revoked} or {code, message} on stdout" } },
  positionals: true,
  jsonError: {},
  exits: {
    ok: "done",
    denied: "revocation cancelled in the team window",
    timeout: "no answer in time",
    error:
      "error (ERR_TEAM_NOT_SIGNED_IN: nobody signed in in the window; ERR_TEAM_NOT_CONFIGURED: the\nextension is not in team mode; ERR_USAGE: not in team mode here, or a bad command line)",
  },
  async run({ values, positionals, json, env }) {
    const args = keysArgs(positionals, resolvePort(values.port, env));
    const paths = resolvePaths(env);
    // Only team mode has registered keys; a damaged team.json is ERR_TEAM_CONFIG_INVALID (thrown).
    if (readTeamConfig(paths.configDir) === undefined) {
      throw new HitlError(
        "ERR_USAGE",
        "'hitl keys' works in team mode only, and this machine is in local mode. Run 'hitl setup --team URL --keycloak URL' first (local keys live in the approvers file; see 'hitl approvers list').",
      );
    }
    const secret = readHostSecret(paths.hostSecretFile);
    const options = { port: args.port, secret, timeoutMs: TIMEOUT_MS };
    if (!json) process.stderr.write("Answer in the hitl team window that opens in your browser…\n");
    if (args.op === "list") {
      const keys = await listKeysThroughHost(options);
      if (json) printJson({ keys });
      else process.stdout.write(describeKeys(keys, Math.floor(Date.now() / 1000)));
      return EXIT.ok;
    }
    const kid = await revokeKeyThroughHost({ ...options, kid: args.kid });
    if (json) printJson({ revoked: kid });
    else process.stdout.write(`REVOKED — key ${formatFingerprint(kid)} (${kid})\n`);
    return EXIT.ok;
  },
});
export const run = command.run;

export type KeysArgs = { port: number; op: "list" } | { port: number; op: "revoke"; kid: string };

/** In-process form of the command line (tests). */
export function parseKeysArgs(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const { help, json, values, positionals } = command.parse(argv);
  if (help) return { help: true as const, json };
  return { help: false as const, json, ...keysArgs(positionals, resolvePort(values.port, env)) };
}

function keysArgs(positionals: string[], port: number): KeysArgs {
  const [op, ...rest] = positionals;
  if (op === "list") {
    if (rest.length > 0) throw new HitlError("ERR_USAGE", "'hitl keys list' takes no arguments. Run 'hitl keys --help'.");
    return { port, op };
  }
  if (op === "revoke") {
    if (rest.length !== 1) throw new HitlError("ERR_USAGE", "'hitl keys revoke' takes exactly one KID (see 'hitl keys list').");
    const kid = rest[0]!;
    if (!/^[A-Za-z0-9_-]{43}$/.test(kid)) {
      throw new HitlError(
        "ERR_USAGE",
        `KID must be a key id of 43 base64url characters as 'hitl keys list' prints it, got ${JSON.stringify(kid)}.`,
      );
    }
    return { port, op, kid };
  }
  throw new HitlError(
    "ERR_USAGE",
    op === undefined
      ? "Say what to do: 'hitl keys list' or 'hitl keys revoke KID'."
      : `Unknown keys command ${JSON.stringify(op)}: use list or revoke.`,
  );
}

/** One line per key: kid, fingerprint, state, dates (UTC), and which one is this browser's. */
export function describeKeys(keys: readonly TeamKeyEntry[], now: number): string {
  if (keys.length === 0) return "No keys registered for your account.\n";
  const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
  return keys
    .map((key) => {
      const state = key.revokedAt !== undefined ? `revoked ${day(key.revokedAt)}` : key.expiresAt <= now ? "expired" : "active";
      const mine = key.thisBrowser ? "  (this browser)" : "";
      return `${key.kid}  ${formatFingerprint(key.kid)}  ${state}  created ${day(key.createdAt)}  expires ${day(key.expiresAt)}${mine}\n`;
    })
    .join("");
}
