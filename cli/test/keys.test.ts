import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseKeysArgs } from "../src/commands/keys.js";
import { type PeerAnswer, type PeerHost, startPeerHost } from "./helpers/peer-host.js";
import { approverFixture } from "./helpers/real-host.js";
import { runCli } from "./helpers/run-cli.js";

/*
 * `hitl keys list|revoke` against a test peer speaking the signing host's API (real HTTP, real
 * proofs): usage errors, the team-mode requirement, what is printed, and every refusal's code.
 */
const kid = "k".repeat(43);
const other = "o".repeat(43);
const listed = [
  { kid, createdAt: 1_795_000_000, expiresAt: 2_000_000_000, thisBrowser: true },
  { kid: other, createdAt: 1_760_000_000, expiresAt: 1_762_592_000, revokedAt: 1_761_000_000, thisBrowser: false },
];

const fx = approverFixture({ paired: false });
let peer: PeerHost | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

function teamMode(): void {
  writeFileSync(
    join(fx.dirs.env.HITL_CONFIG_DIR!, "team.json"),
    JSON.stringify({
      v: 1,
      server: "https://hitl.example.com",
      keycloak: "https://sso.example.com",
      realm: "hitl",
      clientId: "hitl-verifier",
    }),
    { mode: 0o600 },
  );
}

async function withPeer(answer: (path: string, body: unknown) => PeerAnswer): Promise<Record<string, string>> {
  peer = await startPeerHost((request) => answer(request.path, request.body), { secretFile: fx.dirs.secretFile });
  return { ...fx.dirs.env, HITL_PORT: String(peer.port) };
}

describe("hitl keys: command line", () => {
  it("parses list and revoke KID; refuses everything else with ERR_USAGE", () => {
    expect(parseKeysArgs(["list", "--port", "7400"], {})).toEqual({ help: false, json: false, port: 7400, op: "list" });
    expect(parseKeysArgs(["revoke", kid, "--json"], { HITL_PORT: "7401" })).toEqual({
      help: false,
      json: true,
      port: 7401,
      op: "revoke",
      kid,
    });
    const usage = (argv: string[]) => {
      try {
        parseKeysArgs(argv, {});
      } catch (error) {
        return `${(error as { code: string }).code}: ${(error as Error).message}`;
      }
      throw new Error("expected ERR_USAGE");
    };
    expect(usage([])).toBe("ERR_USAGE: Say what to do: 'hitl keys list' or 'hitl keys revoke KID'.");
    expect(usage(["delete", kid])).toBe('ERR_USAGE: Unknown keys command "delete": use list or revoke.');
    expect(usage(["list", kid])).toBe("ERR_USAGE: 'hitl keys list' takes no arguments. Run 'hitl keys --help'.");
    expect(usage(["revoke"])).toBe("ERR_USAGE: 'hitl keys revoke' takes exactly one KID (see 'hitl keys list').");
    expect(usage(["revoke", "abc"])).toBe(
      `ERR_USAGE: KID must be a key id of 43 base64url characters as 'hitl keys list' prints it, got "abc".`,
    );
    expect(usage(["list", "--all"])).toMatch(/^ERR_USAGE: Unknown option '--all'.* Run 'hitl keys --help' for the options\.$/);
  });

  it("in local mode: ERR_USAGE naming hitl setup --team, and the host is never asked", async () => {
    const env = await withPeer(() => ({ status: 200, body: { keys: [] } }));
    const result = await runCli(["keys", "list"], env);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      "hitl: ERR_USAGE: 'hitl keys' works in team mode only, and this machine is in local mode. Run 'hitl setup --team URL --keycloak URL' first (local keys live in the approvers file; see 'hitl approvers list').\n",
    );
    expect(peer!.requests).toEqual([]);
  });

  it("a damaged team.json is ERR_TEAM_CONFIG_INVALID, in --json too", async () => {
    writeFileSync(join(fx.dirs.env.HITL_CONFIG_DIR!, "team.json"), "{", { mode: 0o600 });
    const result = await runCli(["keys", "list", "--json"], fx.dirs.env);
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ code: "ERR_TEAM_CONFIG_INVALID" });
  });
});

describe("hitl keys against a test signing host", () => {
  it("list: POST /keys/list {} → one line per key; --json prints the public list", async () => {
    teamMode();
    const env = await withPeer(() => ({ status: 200, body: { keys: listed } }));
    const text = await runCli(["keys", "list"], env);
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n")[0]).toMatch(
      new RegExp(`^${kid}  [0-9a-f ]{19}  active  created 2026-11-18 11:06  expires 2033-05-18 03:33  \\(this browser\\)$`),
    );
    expect(text.stdout.split("\n")[1]).toMatch(new RegExp(`^${other}  [0-9a-f ]{19}  revoked 2025-10-20 22:40  created `));
    expect(text.stderr).toBe("Answer in the hitl team window that opens in your browser…\n");
    const json = await runCli(["keys", "list", "--json"], env);
    expect(JSON.parse(json.stdout)).toEqual({ keys: listed });
    expect(peer!.requests.map((r) => [r.method, r.path, r.raw])).toEqual([
      ["POST", "/keys/list", "{}"],
      ["POST", "/keys/list", "{}"],
    ]);
  });

  it("revoke: POST /keys/revoke {kid} → REVOKED; --json {revoked}", async () => {
    teamMode();
    const env = await withPeer((_path, body) => ({ status: 200, body: { kid: (body as { kid: string }).kid } }));
    const text = await runCli(["keys", "revoke", kid], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^REVOKED — key [0-9a-f ]{19} \\(${kid}\\)\n$`));
    const json = await runCli(["keys", "revoke", kid, "--json"], env);
    expect(JSON.parse(json.stdout)).toEqual({ revoked: kid });
    expect(peer!.requests[0]!.body).toEqual({ kid });
  });

  it("cancelled in the window → exit 1 ERR_KEYS_REVOKE_CANCELLED; not signed in → exit 3 ERR_TEAM_NOT_SIGNED_IN", async () => {
    teamMode();
    const env = await withPeer((path) =>
      path === "/keys/revoke"
        ? {
            status: 403,
            body: { error: { code: "ERR_KEYS_REVOKE_CANCELLED", message: "You cancelled in the team window; the key stays valid." } },
          }
        : { status: 403, body: { error: { code: "ERR_TEAM_NOT_SIGNED_IN", message: "Nobody signed in in the team window." } } },
    );
    const cancelled = await runCli(["keys", "revoke", kid], env);
    expect(cancelled.code).toBe(1);
    expect(cancelled.stderr).toContain("hitl: ERR_KEYS_REVOKE_CANCELLED: You cancelled in the team window; the key stays valid.\n");
    const notSignedIn = await runCli(["keys", "list", "--json"], env);
    expect(notSignedIn.code).toBe(3);
    expect(JSON.parse(notSignedIn.stdout)).toEqual({ code: "ERR_TEAM_NOT_SIGNED_IN", message: "Nobody signed in in the team window." });
  });

  it("an answer with a token member, or for another kid, is refused: ERR_PROTOCOL", async () => {
    teamMode();
    const env = await withPeer((path) =>
      path === "/keys/list"
        ? { status: 200, body: { keys: [{ ...listed[0], accessToken: "eyJ" }] } }
        : { status: 200, body: { kid: other } },
    );
    const list = await runCli(["keys", "list"], env);
    expect(list.code).toBe(3);
    expect(list.stderr).toMatch(
      /hitl: ERR_PROTOCOL: The signing host on 127\.0\.0\.1:\d+ answered with a malformed key list \(.*accessToken/,
    );
    expect(list.stdout).toBe("");
    const revoke = await runCli(["keys", "revoke", kid], env);
    expect(revoke.code).toBe(3);
    expect(revoke.stderr).toContain(`hitl: ERR_PROTOCOL: The signing host reported the revocation of key ${other}, not ${kid}`);
  });

  it("an unproven answer (another program on the port) is ERR_HOST_UNAUTHENTICATED; no host is ERR_HOST_UNREACHABLE", async () => {
    teamMode();
    peer = await startPeerHost(() => ({ status: 200, body: { keys: listed } }), { secretFile: fx.dirs.secretFile, prove: false });
    const impostor = await runCli(["keys", "list"], { ...fx.dirs.env, HITL_PORT: String(peer.port) });
    expect(impostor.code).toBe(3);
    expect(impostor.stderr).toContain("hitl: ERR_HOST_UNAUTHENTICATED: Something else is listening on 127.0.0.1:");
    expect(impostor.stdout).toBe("");
    const port = peer.port;
    await peer.close();
    peer = undefined;
    const none = await runCli(["keys", "list"], { ...fx.dirs.env, HITL_PORT: String(port) });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain(`hitl: ERR_HOST_UNREACHABLE: No hitl signing host is listening on 127.0.0.1:${port}.`);
  });
});
