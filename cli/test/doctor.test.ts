import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile, rm } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { installHostManifests } from "@hitl/signing-host/install";
import { addApprover } from "@hitl/verifier";
import { makeApprover } from "@hitl/verifier/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { markInService, startRedisServer } from "../../verifier/test/helpers/redis-server.js";
import { LOCAL_DOCTOR_CHECKS } from "./helpers/doctor-checks.js";
import { freePort, type PeerHost, startPeerHost } from "./helpers/peer-host.js";
import { approverFixture, HOST_MAIN, startedFixture, startRealHost } from "./helpers/real-host.js";
import { runCli } from "./helpers/run-cli.js";

/* `hitl doctor` as a real process, against a real signing host, real manifests in a temp HOME. */

interface Check {
  name: string;
  status: "pass" | "warn" | "fail" | "skip";
  required: boolean;
  detail: string;
  code?: string;
  remedy?: string;
}

const fx = approverFixture({ paired: false });
const started = startedFixture();
let env: Record<string, string>;

beforeEach(() => {
  env = { ...fx.dirs.env, HOME: join(fx.dirs.root, "home") };
});

/** A connected extension as the host's /health reports it; each test adds its key fields. */
const CONNECTED = { connected: true, extensionVersion: "0.1.0", browser: "chromium", pending: 0 };

/** A peer on its own port answering /health with the extension state `extension()` returns at that moment. */
async function peerReporting(extension: () => Record<string, unknown>): Promise<PeerHost> {
  const started: PeerHost = await startPeerHost(
    () => ({ status: 200, body: { host: { version: "0.1.0", pid: 4242, port: started.port }, extension: extension() } }),
    { secretFile: fx.dirs.secretFile },
  );
  return started;
}

async function doctor(
  extra: Record<string, string> = {},
  args: string[] = [],
): Promise<{ code: number | null; ok: boolean; checks: Record<string, Check> }> {
  const run = await runCli(["doctor", "--json", ...args], { ...env, ...extra });
  const out = JSON.parse(run.stdout) as { ok: boolean; checks: Check[] };
  expect(out.checks.map((c) => c.name)).toEqual(LOCAL_DOCTOR_CHECKS);
  for (const check of out.checks) if (check.status !== "pass") expect(check.remedy).toEqual(expect.any(String));
  return { code: run.code, ok: out.ok, checks: Object.fromEntries(out.checks.map((c) => [c.name, c])) };
}

describe("hitl doctor", () => {
  it("passes every check when the chain is complete (exit 0), and says so in text", async () => {
    await installHostManifests({ browsers: ["chromium"], env });
    await addApprover(`${env.HITL_CONFIG_DIR}/approvers.json`, fx.alice.record);
    const port = await freePort();
    started.host = await startRealHost({
      env: { ...env, HITL_PORT: String(port) },
      status: { keyPresent: true, kid: fx.alice.kid, subject: "alice", keyPolicy: "persistent", pending: 0 },
      onMessage: () => {},
    });
    const result = await doctor({ HITL_PORT: String(port) });
    expect(result.code).toBe(0);
    expect(result.ok).toBe(true);
    expect(Object.values(result.checks).map((c) => c.status)).toEqual(["pass", "pass", "pass", "pass", "pass", "pass", "pass", "pass"]);
    expect(result.checks.mode!.detail).toBe("local: approvers file and this machine's replay store (team mode: hitl setup --team URL)");
    expect(result.checks["host manifest"]!.detail).toBe("installed for chromium");
    expect(result.checks["approver paired"]!.detail).toMatch(/^alice \(key [0-9a-f ]{19}\) in /);

    const text = await runCli(["doctor"], { ...env, HITL_PORT: String(port) });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^✓ mode +local: approvers file .+\n✓ host manifest +installed for chromium\n✓ host secret +.+\n✓ host reachable +signing host/,
    );
    expect(text.stdout).toContain("All checks passed");
  });

  it("with nothing set up: every failure has its code and remedy, and the exit code is 3", async () => {
    await rm(fx.dirs.secretFile); // `hitl setup` never ran
    const port = await freePort();
    const result = await doctor({ HITL_PORT: String(port) });
    expect(result.code).toBe(3);
    expect(result.ok).toBe(false);
    const { checks } = result;
    expect(checks["host manifest"]).toMatchObject({
      status: "fail",
      code: "ERR_CONFIG",
      remedy: "Run 'hitl setup' (add --browser chrome|chromium|brave|edge|firefox to pick one), then restart the browser.",
    });
    expect(checks["host secret"]).toMatchObject({
      status: "fail",
      code: "ERR_HOST_SECRET_MISSING",
      detail: `cannot use ${fx.dirs.secretFile}`,
      remedy: `The hitl host secret ${fx.dirs.secretFile} does not exist, so the signing host cannot be told apart from another program on its port. Run \`hitl setup\` (it creates the secret), then restart the browser.`,
    });
    expect(checks["host reachable"]).toMatchObject({ status: "skip", detail: "needs the host secret", remedy: "Fix 'host secret' first." });
    expect(checks["extension connected"]).toMatchObject({ status: "skip", remedy: "Fix 'host reachable' first." });
    expect(checks["key present"]).toMatchObject({ status: "skip" });
    expect(checks["approver paired"]).toMatchObject({
      status: "fail",
      code: "ERR_NOT_PAIRED",
      remedy: expect.stringContaining("hitl pair"),
    });
    expect(checks["replay store"]).toMatchObject({ status: "pass", detail: expect.stringContaining(join(env.HITL_STATE_DIR!, "nonces")) });

    const text = await runCli(["doctor"], { ...env, HITL_PORT: String(port) });
    expect(text.code).toBe(3);
    expect(text.stdout).toContain("✗ host secret");
    expect(text.stdout).toContain("- host reachable");
    expect(text.stdout).toContain("→ Run 'hitl setup'");
    expect(text.stdout).toContain("Some checks failed");
  });

  it("with the secret but no host: 'host reachable' fails with ERR_HOST_UNREACHABLE, naming the host's log", async () => {
    const port = await freePort();
    const { checks } = await doctor({ HITL_PORT: String(port) });
    expect(checks["host secret"]).toMatchObject({ status: "pass", detail: `${fx.dirs.secretFile} (yours, mode 0600 or stricter)` });
    expect(checks["host reachable"]).toEqual({
      name: "host reachable",
      status: "fail",
      required: true,
      code: "ERR_HOST_UNREACHABLE",
      detail: `nothing listens on 127.0.0.1:${port}`,
      remedy: `Open your browser with the hitl extension (it starts the signing host); if it is open, run 'hitl setup' once and restart the browser. Why the signing host stopped or did not start is in its log, ${env.HITL_STATE_DIR}/signing-host.log.`,
    });
  });

  it("the port taken by another program: names it and the host log's ERR_PORT_IN_USE, never 'run hitl doctor'", async () => {
    // A program that accepts connections and hangs up: not HTTP, so not an impostor either.
    const squatter = createServer((socket) => socket.destroy());
    squatter.listen(0, "127.0.0.1");
    await once(squatter, "listening");
    const port = String((squatter.address() as AddressInfo).port);
    try {
      // The browser starts the real host, which cannot take the port and says why in its log.
      const started = spawn(process.execPath, [HOST_MAIN, "chrome-extension://gdikjmbmddjjemjnooacmbhlponkepgb/"], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env, HITL_PORT: port },
        stdio: ["pipe", "ignore", "inherit"],
      });
      const [exitCode] = (await once(started, "exit")) as [number];
      expect(exitCode).toBe(1);
      const log = `${env.HITL_STATE_DIR}/signing-host.log`;
      const at = /^(\S+) ERROR host\.cannot-start code="ERR_PORT_IN_USE"/m.exec(await readFile(log, "utf8"))?.[1];
      expect(at).toEqual(expect.any(String));

      const { code, checks } = await doctor({ HITL_PORT: port });
      expect(code).toBe(3);
      const owner = `user root \\(uid 0\\), pid ${process.pid}: .+|uid \\d+, .+`;
      expect(checks["host reachable"]).toEqual({
        name: "host reachable",
        status: "fail",
        required: true,
        code: "ERR_HOST_UNREACHABLE",
        detail: expect.stringMatching(new RegExp(`^something on ${port} does not answer as a hitl signing host \\(owner: (${owner})\\)$`)),
        remedy: `Stop it (kill ${process.pid}, as its owner or root), then restart your browser so its signing host can take the port; until then nothing it answers is trusted. Its log, ${log}, says it could not start at ${at} (ERR_PORT_IN_USE).`,
      });
      for (const check of Object.values(checks)) expect(check.remedy ?? "").not.toContain("hitl doctor");
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it("a connected extension without a key: ERR_NO_KEY, and the key is made by pairing", async () => {
    started.peer = await peerReporting(() => ({ ...CONNECTED, keyPresent: false, keyPolicy: "persistent" }));
    const { checks } = await doctor({ HITL_PORT: String(started.peer.port) });
    expect(checks["key present"]).toEqual({
      name: "key present",
      status: "fail",
      required: true,
      code: "ERR_NO_KEY",
      detail: "the extension has no signing key",
      remedy: "Run 'hitl pair': the extension creates its key when you click Pair; its toolbar popup then shows the key fingerprint.",
    });
  });

  it("names a host without extension, and a browser key that is not paired", async () => {
    await addApprover(`${env.HITL_CONFIG_DIR}/approvers.json`, fx.alice.record);
    let connected = false;
    const other = makeApprover("alice");
    started.peer = await peerReporting(() =>
      connected ? { ...CONNECTED, keyPresent: true, kid: other.kid, subject: "alice", keyPolicy: "persistent" } : { connected: false },
    );
    const port = String(started.peer.port);
    const detached = await doctor({ HITL_PORT: port });
    expect(detached.checks["host reachable"]).toMatchObject({
      status: "pass",
      detail: `signing host 0.1.0 (pid 4242) on 127.0.0.1:${port}`,
    });
    expect(detached.checks["extension connected"]).toMatchObject({
      status: "fail",
      code: "ERR_EXTENSION_NOT_CONNECTED",
      remedy: expect.stringContaining("reload it"),
    });
    expect(detached.checks["approver paired"]).toMatchObject({ status: "skip" });

    connected = true;
    const unpaired = await doctor({ HITL_PORT: port });
    expect(unpaired.code).toBe(3);
    // A browser attached to the host proves a manifest works somewhere (e.g. a custom profile).
    expect(unpaired.checks["host manifest"]).toMatchObject({ status: "pass" });
    expect(unpaired.checks["approver paired"]).toMatchObject({
      status: "fail",
      code: "ERR_NOT_PAIRED",
      remedy: "Run 'hitl pair' to register the browser's current key (it changes when the extension's key is regenerated).",
    });
  });

  it("a session key that ended with the browser: ERR_SESSION_KEY_ENDED naming hitl pair; a live one shows its lifetime", async () => {
    await addApprover(`${env.HITL_CONFIG_DIR}/approvers.json`, fx.alice.record);
    let keyPresent = false;
    started.peer = await peerReporting(() => ({
      ...CONNECTED,
      keyPresent,
      ...(keyPresent && { kid: fx.alice.kid }),
      subject: "alice",
      keyPolicy: "session",
    }));
    const port = String(started.peer.port);
    const ended = await doctor({ HITL_PORT: port });
    expect(ended.code).toBe(3);
    expect(ended.checks["key present"]).toEqual({
      name: "key present",
      status: "fail",
      required: true,
      detail: "the paired session key ended when the browser quit (session keys live in memory only)",
      code: "ERR_SESSION_KEY_ENDED",
      remedy: "Run 'hitl pair --key-lifetime session' to pair a new session key, or 'hitl pair' for a key kept across browser restarts.",
    });

    keyPresent = true;
    const live = await doctor({ HITL_PORT: port });
    expect(live.checks["key present"]).toMatchObject({ status: "pass", detail: expect.stringMatching(/^session key [0-9a-f ]{19}$/) });
  });

  it("checks the manifest of a custom profile with --user-data-dir", async () => {
    const profile = join(fx.dirs.root, "profile");
    await installHostManifests({ browsers: ["chromium"], userDataDir: profile, env });
    const result = await doctor({ HITL_PORT: String(await freePort()) }, ["--user-data-dir", profile]);
    // One profile, one manifest: not one line per browser that could run it.
    expect(result.checks["host manifest"]).toMatchObject({
      status: "pass",
      detail: `installed in ${profile} (${profile}/NativeMessagingHosts/dev.hitl.signing_host.json), for the browser using that profile`,
    });
    await rm(join(profile, "NativeMessagingHosts"), { recursive: true });
    const missing = await doctor({ HITL_PORT: String(await freePort()) }, ["--user-data-dir", profile]);
    expect(missing.checks["host manifest"]).toEqual({
      name: "host manifest",
      status: "fail",
      required: true,
      code: "ERR_CONFIG",
      detail: `no hitl host manifest for ${profile}`,
      remedy: `Run 'hitl setup --user-data-dir ${profile}', then restart the browser.`,
    });
  });

  // Node's recursive mkdir loops forever on such a path (its parent exists, mkdir answers ENOENT).
  it.runIf(process.platform === "linux")(
    "a state directory under /proc fails the replay store check at once instead of hanging",
    async () => {
      const started = Date.now();
      const { code, checks } = await doctor({ HITL_STATE_DIR: "/proc/nope" });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(code).toBe(3);
      expect(checks["replay store"]).toMatchObject({
        status: "fail",
        code: "ERR_NONCE_STORE_UNAVAILABLE",
        detail: "embedded store in /proc/nope/nonces does not work",
        remedy: expect.stringContaining("cannot record the nonce (ENOENT)"),
      });
    },
  );

  it("tests the Redis replay store for real: PASS with AOF always and noeviction, ERR_NONCE_STORE_UNAVAILABLE when down", async () => {
    const redis = await startRedisServer([
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--dir",
      fx.dirs.root,
      "--maxmemory-policy",
      "noeviction",
    ]);
    try {
      await markInService(redis.url);
      const up = await doctor({ HITL_REDIS_URL: redis.url, HITL_PORT: String(await freePort()) });
      expect(up.checks["replay store"]).toEqual({
        name: "replay store",
        status: "pass",
        required: true,
        detail: "Redis (HITL_REDIS_URL) accepts single-use nonces",
      });
    } finally {
      await redis.stop();
    }
    const down = await doctor({ HITL_REDIS_URL: redis.url, HITL_PORT: String(await freePort()) });
    expect(down.checks["replay store"]).toMatchObject({ status: "fail", code: "ERR_NONCE_STORE_UNAVAILABLE", remedy: expect.any(String) });
  });

  it("warns (exit code unchanged) on a Redis without persistence, and on one whose record of used approvals just started", async () => {
    const redis = await startRedisServer(); // --save "" --appendonly no
    try {
      const port = String(await freePort());
      const fresh = await doctor({ HITL_REDIS_URL: redis.url, HITL_PORT: port });
      expect(fresh.checks["replay store"]).toEqual({
        name: "replay store",
        status: "warn",
        required: true,
        detail:
          "Redis (HITL_REDIS_URL) works, but its record of used approvals started less than 91 s ago (new, restarted, flushed, or failed over), so approvals issued before then + 91 s are refused (ERR_NONCE_STORE_RESET); it has no AOF persistence: a restart forgets used approvals, so hitl refuses every approval issued before it (ERR_NONCE_STORE_RESET) and single use then rests on the clocks alone",
        remedy: "Wait 91 s before requesting approvals; set appendonly yes and appendfsync always.",
      });
      await markInService(redis.url);
      const inService = await doctor({ HITL_REDIS_URL: redis.url, HITL_PORT: port });
      expect(inService.checks["replay store"]).toMatchObject({
        status: "warn",
        detail:
          "Redis (HITL_REDIS_URL) works, but it has no AOF persistence: a restart forgets used approvals, so hitl refuses every approval issued before it (ERR_NONCE_STORE_RESET) and single use then rests on the clocks alone",
        remedy: "Set appendonly yes and appendfsync always.",
      });
    } finally {
      await redis.stop();
    }
  });

  it("warns on an eviction policy that can drop used nonces, on appendfsync everysec, and when CONFIG is disabled", async () => {
    const evicting = await startRedisServer([
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--dir",
      fx.dirs.root,
      "--maxmemory",
      "64mb",
      "--maxmemory-policy",
      "volatile-lru",
    ]);
    try {
      await markInService(evicting.url);
      const result = await doctor({ HITL_REDIS_URL: evicting.url, HITL_PORT: String(await freePort()) });
      expect(result.checks["replay store"]).toMatchObject({
        status: "warn",
        detail:
          "Redis (HITL_REDIS_URL) works, but maxmemory-policy volatile-lru with maxmemory 67108864 can evict used nonces before they expire, and an evicted nonce's approval is accepted again; appendfsync everysec can lose the last seconds of used nonces in a crash (hitl then refuses those approvals, relying on the clocks)",
        remedy: "Set maxmemory-policy noeviction (a full Redis then refuses approvals instead); set appendfsync always.",
      });
    } finally {
      await evicting.stop();
    }
    const locked = await startRedisServer(["--appendonly", "yes", "--dir", fx.dirs.root, "--rename-command", "CONFIG", ""]);
    try {
      await markInService(locked.url);
      const result = await doctor({ HITL_REDIS_URL: locked.url, HITL_PORT: String(await freePort()) });
      expect(result.code).toBe(3); // no host in this test; the replay store alone would not fail it
      expect(result.checks["replay store"]).toMatchObject({
        status: "warn",
        detail: "Redis (HITL_REDIS_URL) works, but its appendfsync setting cannot be read (CONFIG refused)",
        remedy: "Check by hand that appendfsync is always.",
      });
    } finally {
      await locked.stop();
    }
  });
});
