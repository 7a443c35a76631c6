import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { type PairingCodePrompt, pairApprover } from "@hitl/sdk";
import { addApprover, PAIRING_CODE_PATTERN, type PairingRequest } from "@hitl/verifier";
import { parsePairRequestBody } from "@hitl/verifier/protocol";
import { makeApprover, signPairing, WINDOW_CODE } from "@hitl/verifier/testing";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, type PeerAnswer, type PeerHost, startPeerHost } from "./helpers/peer-host.js";
import { approverFixture } from "./helpers/real-host.js";
import { BIN, runCli, runCliWithInput, startCli, startCommand } from "./helpers/run-cli.js";

/*
 * `hitl pair` as a real process against a real HTTP peer holding a real Ed25519 key. The peer
 * plays either the honest browser (it signs WINDOW_CODE, which the test then "reads from the
 * window" and types) or a fake host that never opened a window and signs its own key.
 */

const fx = approverFixture({ paired: false });
let peer: PeerHost | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

async function withPeer(answer: (request: PairingRequest) => PeerAnswer): Promise<Record<string, string>> {
  peer = await startPeerHost((request) => answer(parsePairRequestBody(request.body).request), { secretFile: fx.dirs.secretFile });
  return { ...fx.dirs.env, HITL_PORT: String(peer.port) };
}

const approversFile = () => `${fx.dirs.env.HITL_CONFIG_DIR}/approvers.json`;

describe("hitl pair", () => {
  it("shows a CSPRNG code, checks proof of possession, and stores the approver 0600 in a 0700 dir", async () => {
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(request, bob) } }));
    const run = await runCliWithInput(["pair", "--name", "bob", "--aud", "deploy-bot", "--timeout", "60"], env, "KPT-WRM\n");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const request = parsePairRequestBody(peer!.requests[0]!.body).request;
    expect(request.code).toMatch(PAIRING_CODE_PATTERN);
    expect(request).toMatchObject({ subject: "bob", aud: "deploy-bot", requester: { tool: "hitl-cli" } });
    expect(request.exp - request.iat).toBe(60);
    expect(run.stdout.split("\n")[0]).toBe(
      `Pairing code: ${request.code} — check that your browser shows the same code, then click Pair there`,
    );
    expect(run.stdout.split("\n")[1]).toBe(
      "Type the code the pairing window now shows (six letters, like KPT-WRM; no window showed one? Ctrl-C, do not guess): ",
    );
    expect(run.stdout.split("\n")[2]).toMatch(/^PAIRED — bob \(key [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4}\)$/);

    expect((await stat(approversFile())).mode & 0o777).toBe(0o600);
    expect((await stat(fx.dirs.env.HITL_CONFIG_DIR!)).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(await readFile(approversFile(), "utf8")) as unknown;
    expect(stored).toEqual({ v: 1, approvers: [{ sub: "bob", kid: bob.kid, publicKey: bob.publicKeyText, pairedAt: expect.any(Number) }] });
  });

  it("says the host is not running before it shows a code: exit 3, ERR_HOST_UNREACHABLE, no code printed", async () => {
    const port = await freePort();
    const run = await runCli(["pair", "--port", String(port)], fx.dirs.env);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `hitl: ERR_HOST_UNREACHABLE: No hitl signing host is listening on 127.0.0.1:${port} (ECONNREFUSED), so no pairing code was shown. Open your browser with the hitl extension (it starts the host); if it is open, run 'hitl setup' once, restart the browser, and check with 'hitl doctor'.\n`,
    );
    expect(run.ms).toBeLessThan(5000);
    const json = await runCli(["pair", "--port", String(port), "--json"], fx.dirs.env);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ decision: "error", code: "ERR_HOST_UNREACHABLE" });
  });

  it("pairing a key again under another name replaces its entry, and 'hitl approvers list' shows one", async () => {
    const bob = makeApprover("bob");
    await addApprover(approversFile(), bob.record);
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(request, bob) } }));
    const run = await runCliWithInput(["pair", "--name", "robert", "--json"], env, "KPT-WRM\n");
    expect(run.code).toBe(0);
    const stored = JSON.parse(await readFile(approversFile(), "utf8")) as { approvers: { sub: string; kid: string }[] };
    expect(stored.approvers.map(({ sub, kid }) => ({ sub, kid }))).toEqual([{ sub: "robert", kid: bob.kid }]);
    const listed = await runCli(["approvers", "list", "--json"], env);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { approvers: { sub: string }[] }).approvers.map((a) => a.sub)).toEqual(["robert"]);
  });

  it("keeps the approvers already paired", async () => {
    const carol = makeApprover("carol");
    await addApprover(approversFile(), carol.record);
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(request, bob) } }));
    const run = await runCliWithInput(["pair", "--name", "bob", "--json"], env, "kptwrm\n");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      decision: "paired",
      approver: { sub: "bob", kid: bob.kid, fingerprint: expect.stringMatching(/^[0-9a-f ]{19}$/), publicKey: bob.publicKeyText },
      approversFile: approversFile(),
    });
    // In --json mode the code and the prompt still reach the human, on stderr.
    expect(run.stderr).toMatch(
      /^Pairing code: \d{3}-\d{3} — check that your browser shows the same code, then click Pair there\nType the code the pairing window now shows \(six letters, like KPT-WRM; no window showed one\? Ctrl-C, do not guess\): \n$/,
    );
    const stored = JSON.parse(await readFile(approversFile(), "utf8")) as { approvers: { sub: string }[] };
    expect(stored.approvers.map((a) => a.sub)).toEqual(["carol", "bob"]);
  });

  it("refuses a pairing signed with the decision prefix (a cross-protocol signature): exit 3, nothing stored", async () => {
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(request, bob, {}, "decision") } }));
    const run = await runCli(["pair", "--name", "bob"], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      "hitl: ERR_BAD_SIGNATURE: The pairing signature does not verify with the key it carries, so possession of the key is not proven. Run `hitl pair` again.\n",
    );
    await expect(stat(approversFile())).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses a pairing that answers another request (exit 3)", async () => {
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing({ ...request, code: "000-000" }, bob) } }));
    const run = await runCli(["pair", "--name", "bob", "--json"], env);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: "error", code: "ERR_CHALLENGE_MISMATCH" });
    await expect(stat(approversFile())).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a refusal in the browser exits 1; expiry exits 2", async () => {
    const refused = "You did not confirm the pairing in the browser. Run `hitl pair` again and click Pair if the codes match.";
    let env = await withPeer(() => ({ status: 403, body: { error: { code: "ERR_PAIRING_REJECTED", message: refused } } }));
    const run = await runCli(["pair", "--name", "bob"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`hitl: ERR_PAIRING_REJECTED: ${refused}\n`);
    await peer!.close();

    env = await withPeer(() => ({ status: 408, body: { error: { code: "ERR_TIMEOUT", message: "Nobody clicked Pair in time." } } }));
    const late = await runCli(["pair", "--name", "bob", "--json"], env);
    expect(late.code).toBe(2);
    expect(JSON.parse(late.stdout)).toEqual({ decision: "timeout", code: "ERR_TIMEOUT", message: "Nobody clicked Pair in time." });
  });

  it("an insecure approvers file is not overwritten (exit 3)", async () => {
    await mkdir(fx.dirs.env.HITL_CONFIG_DIR!, { recursive: true, mode: 0o700 });
    await writeFile(approversFile(), JSON.stringify({ v: 1, approvers: [] }), { mode: 0o666 });
    await chmod(approversFile(), 0o666);
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(request, bob) } }));
    const run = await runCliWithInput(["pair", "--name", "bob"], env, "KPT-WRM\n");
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^hitl: ERR_APPROVERS_FILE_INSECURE: /);
  });

  describe("a fake host: no browser, no window, a correctly signed statement of its own key", () => {
    const MISMATCH =
      "The code typed is not the one the pairing window signed. If no pairing window showed you a code after you clicked Pair, the answer did not come from your browser: another program may be answering on the signing host's port (run `hitl doctor`). Nothing was written.";

    /** The squatter: signs the request it was sent, with its own key, binding a code of its choice. */
    async function squatter(windowCode: (request: PairingRequest) => string) {
      const mallory = makeApprover("mallory");
      const env = await withPeer((request) => ({
        status: 200,
        body: { pairing: signPairing(request, mallory, {}, "pairing", windowCode(request)) },
      }));
      const carol = makeApprover("carol");
      await addApprover(approversFile(), carol.record);
      return { env, before: await readFile(approversFile(), "utf8") };
    }

    it("the human types what they can only guess: exit 3, ERR_PAIRING_CODE_MISMATCH, approvers file untouched", async () => {
      // The squatter cannot know what the human will type; it commits to a code, the human guesses another.
      const { env, before } = await squatter(() => "QQQQQQ");
      for (const typed of ["KPT-WRM", "BCD-FGH"]) {
        const run = await runCliWithInput(["pair", "--name", "bob"], env, `${typed}\n`);
        expect(run.code).toBe(3);
        expect(run.stderr).toBe(`hitl: ERR_PAIRING_CODE_MISMATCH: ${MISMATCH}\n`);
        expect(await readFile(approversFile(), "utf8")).toBe(before);
      }
    });

    it("the human, seeing no window, types the terminal's code (which the squatter knows and signed): refused, untouched", async () => {
      const { env, before } = await squatter((request) => request.code.replace("-", ""));
      const running = startCli(["pair", "--name", "bob", "--json"], env, { stdin: "pipe" });
      await running.waitForOutput("Type the code the pairing window now shows");
      const request = parsePairRequestBody(peer!.requests[0]!.body).request;
      running.child.stdin!.end(`${request.code}\n`);
      const run = await running.done;
      expect(run.code).toBe(3);
      expect(JSON.parse(run.stdout)).toEqual({
        decision: "error",
        code: "ERR_PAIRING_CODE_MISMATCH",
        message:
          "That is the code this terminal shows. Type the code the pairing window shows after you click Pair: six letters, like KPT-WRM.",
      });
      expect(await readFile(approversFile(), "utf8")).toBe(before);
    });

    it("no code at all (stdin closed, or an empty line): exit 3, ERR_PAIRING_CODE_MISSING, untouched", async () => {
      const { env, before } = await squatter(() => WINDOW_CODE);
      const message =
        "No code was typed (the input ended). Type the code the pairing window shows after you click Pair; without it nothing is written. Run `hitl pair` again.";
      const closed = await runCli(["pair", "--name", "bob"], env);
      const empty = await runCliWithInput(["pair", "--name", "bob", "--json"], env, "\n");
      expect(closed.code).toBe(3);
      expect(closed.stderr).toBe(`hitl: ERR_PAIRING_CODE_MISSING: ${message}\n`);
      expect(empty.code).toBe(3);
      expect(JSON.parse(empty.stdout)).toEqual({ decision: "error", code: "ERR_PAIRING_CODE_MISSING", message });
      expect(await readFile(approversFile(), "utf8")).toBe(before);
    });
  });

  it("Ctrl-C at the code prompt withdraws: exit 1, ERR_WITHDRAWN, nothing written", async () => {
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(request, bob) } }));
    const running = startCli(["pair", "--name", "bob", "--json"], env, { stdin: "pipe" });
    await running.waitForOutput("Type the code the pairing window now shows");
    running.child.kill("SIGINT");
    const run = await running.done;
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      decision: "deny",
      code: "ERR_WITHDRAWN",
      message: "The pairing was withdrawn before its code was confirmed; nothing was written.",
    });
    await expect(stat(approversFile())).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("on a terminal (a real pty): a typo, then the right code -> paired; the retry says how many tries are left", async () => {
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(request, bob) } }));
    // script(1) gives the CLI a pseudo-terminal as stdin/stdout; what we write to script's stdin is typed into it.
    const running = startPty(["pair", "--name", "bob"], env);
    await running.waitForOutput("Ctrl-C, do not guess): ");
    running.child.stdin!.write("KPT-WRN\r");
    await running.waitForOutput("2 tries left.");
    running.child.stdin!.write("kpt wrm\r");
    await running.waitForOutput("PAIRED — bob");
    const run = await running.done;
    expect(run.code).toBe(0);
    const output = run.stdout.replace(/\r/g, "");
    expect(output).toContain(
      "The code typed is not the one the pairing window signed. If no pairing window showed you a code after you clicked Pair, the answer did not come from your browser: another program may be answering on the signing host's port (run `hitl doctor`). 2 tries left.",
    );
    const stored = JSON.parse(await readFile(approversFile(), "utf8")) as { approvers: { kid: string }[] };
    expect(stored.approvers.map((a) => a.kid)).toEqual([bob.kid]);
  });
});

it("on a terminal, Ctrl-C typed at the code prompt is a signal (cooked mode), not input: withdrawn, exit 1, nothing written", async () => {
  const bob = makeApprover("bob");
  const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(request, bob) } }));
  const running = startPty(["pair", "--name", "bob"], env);
  await running.waitForOutput("Ctrl-C, do not guess): ");
  running.child.stdin!.write("KPT\u0003");
  const run = await running.done;
  expect(run.code).toBe(1);
  expect(run.stdout.replace(/\r/g, "")).toContain(
    "hitl: ERR_WITHDRAWN: The pairing was withdrawn before its code was confirmed; nothing was written.\n",
  );
  await expect(stat(approversFile())).rejects.toMatchObject({ code: "ENOENT" });
});

/** `hitl pair` under script(1), so its stdin and stdout are a terminal (isTTY), as for a person. */
function startPty(args: string[], env: Record<string, string>) {
  const command = [process.execPath, BIN, ...args].map((part) => `'${part.replace(/'/g, "'\\''")}'`).join(" ");
  // exec: the shell script(1) starts is replaced by the CLI, so Ctrl-C on the pty reaches only the CLI.
  return startCommand("script", ["-qfec", `exec ${command}`, "/dev/null"], env);
}

describe("pairApprover (SDK): the code prompt", () => {
  const typing = (...codes: (string | undefined)[]) => {
    const prompts: { attempt: number; attempts: number; previous?: string }[] = [];
    const readCode = async (prompt: PairingCodePrompt) => {
      prompts.push({ attempt: prompt.attempt, attempts: prompt.attempts, ...(prompt.previous && { previous: prompt.previous.code }) });
      return codes.shift();
    };
    return { prompts, readCode };
  };

  it("three tries: two typos then the right code -> paired", async () => {
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(request, bob) } }));
    const { prompts, readCode } = typing("KPT-WRN", "123-456", "KPT-WRM");
    const outcome = await pairApprover({ subject: "bob", env, readCode });
    expect(outcome).toMatchObject({ decision: "paired", approver: { sub: "bob", kid: bob.kid } });
    expect(prompts).toEqual([
      { attempt: 1, attempts: 3 },
      { attempt: 2, attempts: 3, previous: "ERR_PAIRING_CODE_MISMATCH" },
      { attempt: 3, attempts: 3, previous: "ERR_PAIRING_CODE_MISMATCH" },
    ]);
  });

  it("three wrong codes end the pairing: ERR_PAIRING_CODE_MISMATCH, nothing written, no fourth prompt", async () => {
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(request, bob) } }));
    const { prompts, readCode } = typing("BBBBBB", "CCCCCC", "DDDDDD", "KPT-WRM");
    const outcome = await pairApprover({ subject: "bob", env, readCode });
    expect(outcome).toMatchObject({ decision: "error", code: "ERR_PAIRING_CODE_MISMATCH" });
    expect(prompts).toHaveLength(3);
    await expect(stat(approversFile())).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("codeAttempts: 1 means one try; outside 1..3 or without readCode is a usage error (nothing sent)", async () => {
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(request, bob) } }));
    const once = typing("BBBBBB", "KPT-WRM");
    await expect(pairApprover({ subject: "bob", env, readCode: once.readCode, codeAttempts: 1 })).resolves.toMatchObject({
      code: "ERR_PAIRING_CODE_MISMATCH",
    });
    expect(once.prompts).toHaveLength(1);
    await expect(pairApprover({ subject: "bob", env, readCode: once.readCode, codeAttempts: 4 })).resolves.toEqual({
      decision: "error",
      code: "ERR_USAGE",
      message: "pairApprover: options.codeAttempts must be a whole number from 1 to 3.",
    });
    await expect(pairApprover({ subject: "bob", env } as unknown as Parameters<typeof pairApprover>[0])).resolves.toEqual({
      decision: "error",
      code: "ERR_USAGE",
      message: "pairApprover: options.readCode is required: it asks the human for the code the pairing window shows.",
    });
    expect(peer!.requests).toHaveLength(1);
  });
});
