import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { requestApproval } from "@hitl/sdk";
import { type Challenge, FileNonceStore, formatFingerprint, LocalKeyDirectory, verifyReceipt } from "@hitl/verifier";
import { parseSignRequestBody } from "@hitl/verifier/protocol";
import { makeApprover, signReceipt } from "@hitl/verifier/testing";
import { afterEach, describe, expect, it } from "vitest";
import { markInService, startRedisServer } from "../../verifier/test/helpers/redis-server.js";
import { freePort, type PeerAnswer, type PeerHost, type PeerRequest, startPeerHost } from "./helpers/peer-host.js";
import { approverFixture } from "./helpers/real-host.js";
import { BIN, runCli, runCliWithInput, startCli } from "./helpers/run-cli.js";

/*
 * `hitl request` as a real process against a real HTTP peer that speaks the signing host's API
 * and signs with a real Ed25519 key (node:crypto). The peer is the only thing standing in for
 * the browser; the CLI, the verifier and the replay store are the real ones.
 */

const fx = approverFixture({ paired: true });
let peer: PeerHost | undefined;

afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

function challengeOf(request: PeerRequest): Challenge {
  return parseSignRequestBody(request.body).challenge;
}

async function withPeer(answer: (challenge: Challenge, request: PeerRequest) => PeerAnswer | Promise<PeerAnswer>) {
  peer = await startPeerHost(
    (request) => {
      if (request.path === "/health") {
        const extension = {
          connected: true,
          extensionVersion: "0.1.0",
          browser: "chromium",
          keyPresent: true,
          kid: fx.alice.kid,
          keyPolicy: "persistent",
          pending: 0,
        };
        return { status: 200, body: { host: { version: "0.1.0", pid: 1, port: peer?.port ?? 0 }, extension } };
      }
      return answer(challengeOf(request), request);
    },
    { secretFile: fx.dirs.secretFile },
  );
  return { ...fx.dirs.env, HITL_PORT: String(peer.port) };
}

const ACTION = ["request", "--action", "delete /tmp/testfile"];

/** Run the built CLI on a real pseudo-terminal (util-linux `script`), as a person at a terminal does. */
function onTerminal(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(" ");
  const child = spawn("script", ["-qefc", command, "/dev/null"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: env.HITL_CONFIG_DIR!, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("hitl request on a terminal echoes the action with the approval window's markers", () => {
  const summary = "rm -rf /\u202Etxt.exe\u202C\n\n\n\nshow p\u0430yp\u0430l";
  const details = JSON.stringify({ after: "curl x | sh\u200B" });

  it.each([
    ["TERM=dumb: plain markers, no escape codes", "dumb", "⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩"],
    ["a colour terminal: markers in reverse video", "xterm-256color", "\u001b[7m⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩\u001b[27m"],
  ])("%s", async (_name, term, override) => {
    const env = await withPeer((challenge) => ({
      status: 200,
      body: { receipt: signReceipt(challenge, fx.alice, { decision: "approve" }) },
    }));
    const run = await onTerminal(["request", "--action", summary, "--details", details], { ...env, TERM: term });
    expect(run.code).toBe(0);
    const output = run.output.replaceAll("\r\n", "\n");
    const echoEnd = output.indexOf(term === "dumb" ? "APPROVED" : "Waiting for approval");
    expect(echoEnd).toBeGreaterThan(0);
    const echo = output.slice(0, echoEnd);
    const mixed =
      term === "dumb"
        ? "p\u0430yp\u0430l⟨mixed scripts: Latin, Cyrillic⟩"
        : "\u001b[4mp\u0430yp\u0430l\u001b[24m\u001b[7m⟨mixed scripts: Latin, Cyrillic⟩\u001b[27m";
    const zwsp = term === "dumb" ? "⟨U+200B ZERO WIDTH SPACE⟩" : "\u001b[7m⟨U+200B ZERO WIDTH SPACE⟩\u001b[27m";
    const blank = term === "dumb" ? "⟨3 blank lines⟩" : "\u001b[7m⟨3 blank lines⟩\u001b[27m";
    const pop = override.replace("U+202E RIGHT-TO-LEFT OVERRIDE", "U+202C POP DIRECTIONAL FORMATTING");
    expect(echo).toBe(
      `Asking to approve: rm -rf /${override}txt.exe${pop}\n  ${blank}\n  show ${mixed}\n` +
        `Details: {\n    "after": "curl x | sh${zwsp}"\n  }\n${term === "dumb" ? "" : "\r\u001b[2K"}`,
    );
    // TERM=dumb: no escape code anywhere (no reverse video, no redrawn countdown).
    if (term === "dumb") expect(run.output).not.toContain("\u001b");
    expect(run.output).not.toMatch(/[\u202E\u202C\u200B]/);
    expect(run.output).toContain("APPROVED — signature verified");
  });

  it("NO_COLOR on a colour terminal: plain markers and a countdown without escape codes", async () => {
    const env = await withPeer((challenge) => ({
      status: 200,
      body: { receipt: signReceipt(challenge, fx.alice, { decision: "approve" }) },
    }));
    const run = await onTerminal(["request", "--action", summary], { ...env, TERM: "xterm-256color", NO_COLOR: "1" });
    expect(run.code).toBe(0);
    expect(run.output).toContain("Asking to approve: rm -rf /⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩txt.exe");
    expect(run.output).toContain("Waiting for approval in your browser… ");
    expect(run.output).not.toContain("\u001b");
    expect(run.output).toContain("APPROVED — signature verified");
  });
});

describe("hitl request against a peer speaking the host API", () => {
  it("prints the approval and exits 0 after verifying the signature", async () => {
    const env = await withPeer((challenge) => ({
      status: 200,
      body: { receipt: signReceipt(challenge, fx.alice, { decision: "approve" }) },
    }));
    const cli = startCli(ACTION, env);
    const run = await cli.done;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const challenge = challengeOf(peer!.requests[0]!);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("APPROVED — signature verified");
    expect(lines[1]).toMatch(/^User: alice \(key [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4}\)$/);
    expect(lines[2]).toBe(`Challenge: ${challenge.nonce.slice(0, 12)}…`);
    // The challenge is bound to what was asked, by this process, for the default audience.
    expect(challenge.action).toEqual({ summary: "delete /tmp/testfile" });
    expect(challenge.aud).toBe("hitl-cli");
    expect(challenge.exp - challenge.iat).toBe(120);
    expect(challenge.requester).toEqual({ tool: "hitl-cli", host: hostname(), pid: cli.child.pid, cwd: process.cwd() });
    // Only the documented request: POST /sign, JSON, Host pinned to 127.0.0.1:PORT, no keep-alive.
    expect(peer!.requests).toHaveLength(1);
    expect(peer!.requests[0]).toMatchObject({ method: "POST", path: "/sign" });
    expect(peer!.requests[0]!.headers).toMatchObject({
      host: `127.0.0.1:${peer!.port}`,
      "content-type": "application/json",
      connection: "close",
    });
    // Paired: that one request was announced as soon as Node started (the window opens early).
    expect(peer!.announced).toEqual(["/sign"]);
  });

  it("--json prints {decision, approver, receipt} and the receipt verifies offline", async () => {
    const env = await withPeer((challenge) => ({
      status: 200,
      body: { receipt: signReceipt(challenge, fx.alice, { decision: "approve" }) },
    }));
    const run = await runCli([...ACTION, "--details", '{"path":"/tmp/testfile","recursive":false}', "--json", "--aud", "deploy-bot"], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual(["approver", "decision", "receipt"]);
    expect(out.decision).toBe("approve");
    expect(out.approver).toEqual({
      sub: "alice",
      kid: fx.alice.kid,
      fingerprint: expect.stringMatching(/^[0-9a-f ]{19}$/),
      publicKey: fx.alice.publicKeyText,
    });
    const keys = await LocalKeyDirectory.open(`${fx.dirs.env.HITL_CONFIG_DIR}/approvers.json`);
    const audit = await verifyReceipt(out.receipt, { aud: "deploy-bot" }, { keys, nonces: "offline-audit" });
    expect(audit.receipt.challenge.action).toEqual({
      summary: "delete /tmp/testfile",
      details: { path: "/tmp/testfile", recursive: false },
    });
  });

  it("the SDK reports the approver in the form --json prints: publicKey in base64url, as in the approvers file", async () => {
    let decision: "approve" | "deny" = "approve";
    const env = await withPeer((challenge) => ({ status: 200, body: { receipt: signReceipt(challenge, fx.alice, { decision }) } }));
    const printed = JSON.parse((await runCli([...ACTION, "--json"], env)).stdout) as { approver: Record<string, string> };
    const outcome = await requestApproval({ action: { summary: "delete /tmp/testfile" }, env });
    const approver = outcome.decision === "approve" ? outcome.approver : undefined;
    expect(approver).toEqual({ sub: "alice", kid: fx.alice.kid, publicKey: fx.alice.publicKeyText });
    expect(printed.approver).toEqual({ ...approver, fingerprint: formatFingerprint(fx.alice.kid) });
    // A signed denial names its approver the same way.
    decision = "deny";
    const denied = await requestApproval({ action: { summary: "delete /tmp/testfile" }, env });
    expect(denied).toMatchObject({ decision: "deny", approver: { sub: "alice", kid: fx.alice.kid, publicKey: fx.alice.publicKeyText } });
  });

  it("hitl request --json > r.json; hitl verify r.json: verify reads what request printed", async () => {
    const env = await withPeer((challenge) => ({
      status: 200,
      body: { receipt: signReceipt(challenge, fx.alice, { decision: "approve" }) },
    }));
    const run = await runCli([...ACTION, "--json", "--aud", "deploy-bot"], env);
    expect(run.code).toBe(0);
    const saved = join(fx.dirs.root, "r.json");
    writeFileSync(saved, run.stdout);
    const verified = await runCli(["verify", saved, "--aud", "deploy-bot"], env);
    expect(verified.stderr).toBe("");
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^VALID — approved by alice \(key [0-9a-f ]{19}\) at /);
    expect(verified.stdout).toContain("Action: delete /tmp/testfile\n");
    // Only the document's receipt is used, checked like any other: an altered action is refused.
    const tampered = JSON.parse(run.stdout) as { receipt: { challenge: { action: { summary: string } } } };
    tampered.receipt.challenge.action.summary = "delete /";
    writeFileSync(saved, JSON.stringify(tampered));
    const refused = await runCli(["verify", saved, "--aud", "deploy-bot"], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^hitl: ERR_CHALLENGE_MISMATCH: /);
  });

  it("verify says there is nothing to check in the --json output of a request that got no receipt", async () => {
    const env = await withPeer(() => ({
      status: 408,
      body: { error: { code: "ERR_TIMEOUT", message: "No decision before the challenge expired; nothing was signed." } },
    }));
    const run = await runCli([...ACTION, "--json"], env);
    expect(run.code).toBe(2);
    const saved = join(fx.dirs.root, "r.json");
    writeFileSync(saved, run.stdout);
    const verified = await runCli(["verify", saved], env);
    expect(verified.code).toBe(3);
    expect(verified.stderr).toBe(
      "hitl: ERR_MALFORMED: This is what 'hitl request --json' printed for a request that ended without a signed receipt (ERR_TIMEOUT); there is no receipt in it to verify.\n",
    );
  });

  it("--action-file FILE and --action-file - (stdin) send the text as the action; one trailing newline is dropped", async () => {
    const env = await withPeer((challenge) => ({
      status: 200,
      body: { receipt: signReceipt(challenge, fx.alice, { decision: "approve" }) },
    }));
    const file = join(fx.dirs.root, "action.txt");
    writeFileSync(file, "deploy build 4711 to production\n");
    const fromFile = await runCli(["request", "--action-file", file], env);
    expect(fromFile.code).toBe(0);
    expect(challengeOf(peer!.requests.at(-1)!).action).toEqual({ summary: "deploy build 4711 to production" });
    const fromStdin = await runCliWithInput(["request", "--action-file", "-", "--details", '{"build":4711}'], env, "line one\nline two\n");
    expect(fromStdin.code).toBe(0);
    expect(challengeOf(peer!.requests.at(-1)!).action).toEqual({ summary: "line one\nline two", details: { build: 4711 } });
  });

  it("--action-file: both or neither of --action and --action-file, an unreadable file, too long: exit 3 naming the flag", async () => {
    const env = await withPeer((challenge) => ({
      status: 200,
      body: { receipt: signReceipt(challenge, fx.alice, { decision: "approve" }) },
    }));
    const both = await runCli(["request", "--action", "x", "--action-file", "a.txt"], env);
    expect(both.code).toBe(3);
    expect(both.stderr).toBe("hitl: ERR_USAGE: Give the action once: --action TEXT or --action-file FILE, not both.\n");
    const neither = await runCli(["request", "--json"], env);
    expect(neither.code).toBe(3);
    expect(JSON.parse(neither.stdout)).toEqual({
      decision: "error",
      code: "ERR_USAGE",
      message:
        '--action is required: say what will happen, e.g. --action "delete /tmp/testfile" (or --action-file FILE, - for standard input).',
    });
    const missing = join(fx.dirs.root, "missing.txt");
    const unreadable = await runCli(["request", "--action-file", missing], env);
    expect(unreadable.code).toBe(3);
    expect(unreadable.stderr).toBe(`hitl: ERR_USAGE: Cannot read --action-file ${JSON.stringify(missing)} (ENOENT). Check the path.\n`);
    // Longer than Linux takes as one argument (MAX_ARG_STRLEN, 128 KiB): no E2BIG, the limit is named.
    const long = join(fx.dirs.root, "long.txt");
    writeFileSync(long, "a".repeat(200_000));
    const tooLong = await runCli(["request", "--action-file", long], env);
    expect(tooLong.code).toBe(3);
    expect(tooLong.stderr).toMatch(
      /^hitl: ERR_USAGE: --action-file ".*long\.txt" is \d+ UTF-8 bytes; an action is at most 2048\. Say it shorter and put the rest in --details JSON \(at most 32768 bytes\)\.\n$/,
    );
    const longFlag = await runCli(["request", "--action", "é".repeat(1025)], env);
    expect(longFlag.code).toBe(3);
    expect(longFlag.stderr).toBe(
      "hitl: ERR_USAGE: --action is 2050 UTF-8 bytes; an action is at most 2048. Say it shorter and put the rest in --details JSON (at most 32768 bytes).\n",
    );
    // Nothing of it was sent: every refusal came before asking.
    expect(peer!.requests.filter((request) => request.path === "/sign" && request.raw.length > 0)).toEqual([]);
  });

  it("a signed deny exits 1 with one line, and --json says deny with the receipt", async () => {
    const env = await withPeer((challenge) => ({ status: 200, body: { receipt: signReceipt(challenge, fx.alice, { decision: "deny" }) } }));
    const run = await runCli(ACTION, env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^DENIED — alice \(key [0-9a-f ]{19}\) denied this action \(signature verified\)\. Do not proceed\.\n$/);
    const json = await runCli([...ACTION, "--json"], env);
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ decision: "deny", code: "ERR_DENIED", approver: { sub: "alice", kid: fx.alice.kid } });
    expect((out.receipt as { statement: { decision: string } }).statement.decision).toBe("deny");
  });

  it("a deny signed by a key nobody paired is an error (3), not a denial", async () => {
    const mallory = makeApprover("alice");
    const env = await withPeer((challenge) => ({ status: 200, body: { receipt: signReceipt(challenge, mallory, { decision: "deny" }) } }));
    const run = await runCli([...ACTION, "--json"], env);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({
      decision: "error",
      code: "ERR_UNKNOWN_KEY",
      message: expect.stringContaining("hitl pair"),
    });
  });

  it("a forged signature exits 3 with ERR_BAD_SIGNATURE, for an approval and for a denial", async () => {
    for (const decision of ["approve", "deny"] as const) {
      const env = await withPeer((challenge) => {
        const receipt = signReceipt(challenge, fx.alice, { decision });
        // Flip one bit of the signature's first byte: still canonical base64url, no longer valid.
        const sig = Buffer.from(receipt.sig, "base64url");
        sig[0] = sig[0]! ^ 1;
        return { status: 200, body: { receipt: { ...receipt, sig: sig.toString("base64url") } } };
      });
      const run = await runCli(ACTION, env);
      expect(run.code).toBe(3);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^hitl: ERR_BAD_SIGNATURE: .*does not verify.*Do not proceed/);
      await peer!.close();
    }
    peer = undefined;
  });

  it("the host's 408 (expired without a decision) exits 2", async () => {
    const env = await withPeer(() => ({
      status: 408,
      body: { error: { code: "ERR_TIMEOUT", message: "No decision before the challenge expired; nothing was signed." } },
    }));
    const run = await runCli(ACTION, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("hitl: ERR_TIMEOUT: No decision before the challenge expired; nothing was signed.\n");
    const json = await runCli([...ACTION, "--json"], env);
    expect(JSON.parse(json.stdout)).toEqual({ decision: "timeout", code: "ERR_TIMEOUT", message: expect.stringContaining("expired") });
  });

  it("a host that never answers is given up on after expiry: exit 2, and the connection is closed", async () => {
    const env = await withPeer(() => "hang");
    const run = await runCli([...ACTION, "--timeout", "1"], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^hitl: ERR_TIMEOUT: No answer to the approval request before it expired/);
    await peer!.disconnected;
  });

  it("a receipt for another challenge exits 3 with ERR_CHALLENGE_MISMATCH", async () => {
    const env = await withPeer((challenge) => {
      const other: Challenge = { ...challenge, id: randomUUID(), nonce: Buffer.alloc(32, 7).toString("base64url") };
      return { status: 200, body: { receipt: signReceipt(other, fx.alice, { decision: "approve" }) } };
    });
    const run = await runCli(ACTION, env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^hitl: ERR_CHALLENGE_MISMATCH: /);
  });

  it("a denial of another challenge is not taken as this request's denial (exit 3)", async () => {
    const env = await withPeer((challenge) => {
      const other: Challenge = { ...challenge, id: randomUUID(), nonce: Buffer.alloc(32, 9).toString("base64url") };
      return { status: 200, body: { receipt: signReceipt(other, fx.alice, { decision: "deny" }) } };
    });
    const run = await runCli([...ACTION, "--json"], env);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toEqual({
      decision: "error",
      code: "ERR_CHALLENGE_MISMATCH",
      message: "The signing host returned a denial for a different request than the one sent; treating it as an error. Run 'hitl doctor'.",
    });
  });

  it("a receipt already used by another verifier exits 3 with ERR_REPLAYED", async () => {
    const keys = await LocalKeyDirectory.open(`${fx.dirs.env.HITL_CONFIG_DIR}/approvers.json`);
    const elsewhere = new FileNonceStore(`${fx.dirs.env.HITL_STATE_DIR}/nonces`);
    const env = await withPeer(async (challenge) => {
      const receipt = signReceipt(challenge, fx.alice, { decision: "approve" });
      // Someone got the receipt first and used it, in the same replay store.
      await verifyReceipt(receipt, { aud: challenge.aud }, { keys, nonces: elsewhere });
      return { status: 200, body: { receipt } };
    });
    const run = await runCli(ACTION, env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^hitl: ERR_REPLAYED: /);
  });

  it("host errors come through with their code and message (exit 3)", async () => {
    const message = "The hitl extension is not connected to the signing host. Open the browser and reload the extension.";
    const env = await withPeer(() => ({ status: 503, body: { error: { code: "ERR_EXTENSION_NOT_CONNECTED", message } } }));
    const run = await runCli(ACTION, env);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`hitl: ERR_EXTENSION_NOT_CONNECTED: ${message}\n`);
  });

  it("a host cannot claim a denial without a signed receipt", async () => {
    const env = await withPeer(() => ({ status: 403, body: { error: { code: "ERR_DENIED", message: "alice denied" } } }));
    const run = await runCli([...ACTION, "--json"], env);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({
      decision: "error",
      code: "ERR_PROTOCOL",
      message: expect.stringContaining("without a signed receipt"),
    });
  });

  it("something else on the port is named as such", async () => {
    const env = await withPeer(() => ({ status: 404, body: "not found" }));
    const run = await runCli(ACTION, env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^hitl: ERR_PROTOCOL: 127\.0\.0\.1:\d+ answered HTTP 404 without a hitl reply; another program may be using the port/,
    );
  });

  it("Ctrl-C withdraws: the connection closes and the exit code is 1", async () => {
    const env = await withPeer(() => "hang");
    const cli = startCli(ACTION, env);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (peer!.requests.length > 0) {
          clearInterval(poll);
          resolve();
        }
      }, 10);
    });
    cli.child.kill("SIGINT");
    const run = await cli.done;
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "hitl: ERR_WITHDRAWN: You withdrew the approval request before a decision; the browser window was closed and nothing was signed.\n",
    );
    await peer!.disconnected;
  });

  it("an approvers file only the full check refuses: the challenge goes out, is withdrawn at once, exit 3", async () => {
    // Looks usable at a glance (a private file listing someone), but the key id is not the key's.
    const record = { ...fx.alice.record, kid: makeApprover("bob").kid };
    writeFileSync(`${fx.dirs.env.HITL_CONFIG_DIR}/approvers.json`, JSON.stringify({ v: 1, approvers: [record] }), { mode: 0o600 });
    const env = await withPeer(() => "hang");
    const run = await runCli(ACTION, env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^hitl: ERR_APPROVERS_FILE_INVALID: The approvers file .* is invalid: .*kid is not the thumbprint/);
    expect(run.ms).toBeLessThan(5_000);
    // It was asked (the check runs while the window opens) and withdrawn as soon as it failed.
    expect(peer!.requests.map((r) => r.path)).toEqual(["/sign"]);
    await peer!.disconnected;
  });

  it("an insecure approvers file is refused before asking: nothing is sent", async () => {
    chmodSync(`${fx.dirs.env.HITL_CONFIG_DIR}/approvers.json`, 0o666);
    const env = await withPeer((challenge) => ({
      status: 200,
      body: { receipt: signReceipt(challenge, fx.alice, { decision: "approve" }) },
    }));
    const run = await runCli(ACTION, env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^hitl: ERR_APPROVERS_FILE_INSECURE: The approvers file .* is world-writable/);
    expect(peer!.requests).toEqual([]);
  });

  it("nothing is sent when no approver is paired", async () => {
    rmSync(`${fx.dirs.env.HITL_CONFIG_DIR}/approvers.json`);
    const env = await withPeer((challenge) => ({
      status: 200,
      body: { receipt: signReceipt(challenge, fx.alice, { decision: "approve" }) },
    }));
    peer!.requests.length = 0;
    const run = await runCli(ACTION, env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^hitl: ERR_NOT_PAIRED: No approver is paired on this machine .*Run 'hitl pair'/);
    expect(peer!.requests.map((r) => r.path)).toEqual(["/health"]);
    // Not even announced early: without an approvers file no window opens to flash up empty.
    expect(peer!.announced).toEqual([]);
  });
});

describe("hitl request without a host", () => {
  it("exits 3 with ERR_HOST_UNREACHABLE in under a second, saying what to do", async () => {
    const port = await freePort();
    const run = await runCli(ACTION, { ...fx.dirs.env, HITL_PORT: String(port) });
    expect(run.code).toBe(3);
    expect(run.ms).toBeLessThan(1000);
    expect(run.stderr).toBe(
      `hitl: ERR_HOST_UNREACHABLE: No hitl signing host is listening on 127.0.0.1:${port}. Open your browser with the hitl extension (it starts the host); if it is open, run 'hitl setup' once, restart the browser, and check with 'hitl doctor'.\n`,
    );
  });

  it("says the host is unreachable before saying nobody is paired", async () => {
    rmSync(`${fx.dirs.env.HITL_CONFIG_DIR}/approvers.json`);
    const port = await freePort();
    const run = await runCli([...ACTION, "--json"], { ...fx.dirs.env, HITL_PORT: String(port) });
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: "error", code: "ERR_HOST_UNREACHABLE" });
  });
});

describe("hitl request with the Redis replay store (HITL_REDIS_URL)", () => {
  it("approves once through a real redis-server, and fails closed when Redis is down", async () => {
    const redis = await startRedisServer();
    try {
      const env = {
        ...(await withPeer((challenge) => ({ status: 200, body: { receipt: signReceipt(challenge, fx.alice, { decision: "approve" }) } }))),
        HITL_REDIS_URL: redis.url,
      };
      // A Redis that just started (as after a restart that lost its data) cannot prove first use.
      const fresh = await runCli(ACTION, env);
      expect(fresh.code).toBe(3);
      expect(fresh.stderr).toMatch(
        /^hitl: ERR_NONCE_STORE_RESET: The replay store \(Redis at redis:\/\/127\.0\.0\.1:\d+\) holds consumed nonces only since .+ so it is refused\. Request a new approval; approvals issued from .+Z on are accepted\.\n$/,
      );
      await markInService(redis.url);
      const approved = await runCli(ACTION, env);
      expect(approved.stderr).toBe("");
      expect(approved.code).toBe(0);
      await redis.stop();
      const before = peer!.requests.length;
      const down = await runCli(ACTION, env);
      expect(down.code).toBe(3);
      expect(down.stderr).toMatch(/^hitl: ERR_NONCE_STORE_UNAVAILABLE: /);
      // Checked before the human is asked: nothing was sent.
      expect(peer!.requests.length).toBe(before);
      // Nor announced early: Redis is probed over the network first, so no window opens before.
      expect(peer!.announced).toEqual([]);
    } finally {
      await redis.stop();
    }
  });
});
