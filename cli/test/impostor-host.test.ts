import { type ChildProcess, spawn } from "node:child_process";
import { chmod, copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type ApproverRecord, addApprover } from "@hitl/verifier";
import { makeApprover } from "@hitl/verifier/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "./helpers/peer-host.js";
import { isolatedDirs, runCli } from "./helpers/run-cli.js";

/*
 * The hole this closes: a program that takes 127.0.0.1:$HITL_PORT before the browser's host does
 * and answers /pair and /sign with its own valid Ed25519 key. fixtures/fake-host.mjs does exactly
 * that, correctly in every respect but one: it does not hold the user's host secret. It runs as
 * another OS user (runuser -u nobody; these tests run as root) and as the same user. The real
 * `hitl` binary must refuse it with ERR_HOST_UNAUTHENTICATED, write nothing, and `hitl doctor`
 * must name it and its owner.
 */

const FIXTURE = resolve(fileURLToPath(new URL("./fixtures/fake-host.mjs", import.meta.url)));
const VERIFIER_URL = pathToFileURL(resolve(fileURLToPath(new URL("../../verifier/dist/index.js", import.meta.url)))).href;

interface FakeHost {
  port: number;
  pid: number;
  /** The squatter's own key, as `hitl pair` would have stored it before this check existed. */
  record: ApproverRecord;
  /** "METHOD PATH" of every answer it sent. */
  served: string[];
  stop(): Promise<void>;
}

let scriptDir: string;
let script: string;
let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
let fake: FakeHost | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error("these tests start a process as user nobody and must run as root");
  // A directory the other user can read: mkdtemp makes it 0700.
  scriptDir = await mkdtemp(join(tmpdir(), "hitl-fake-host-"));
  await chmod(scriptDir, 0o755);
  script = join(scriptDir, "fake-host.mjs");
  await copyFile(FIXTURE, script);
  await chmod(script, 0o644);
});

afterAll(async () => {
  await rm(scriptDir, { recursive: true, force: true });
});

beforeEach(async () => {
  dirs = await isolatedDirs();
});

afterEach(async () => {
  await fake?.stop();
  fake = undefined;
  await dirs.cleanup();
});

async function startFake(as: "nobody" | "same user", proof: "none" | "forged"): Promise<FakeHost> {
  const port = await freePort();
  const args = [script, String(port), VERIFIER_URL, proof];
  const child: ChildProcess =
    as === "nobody"
      ? spawn("runuser", ["-u", "nobody", "--", process.execPath, ...args], { cwd: scriptDir, stdio: ["ignore", "pipe", "inherit"] })
      : spawn(process.execPath, args, { cwd: scriptDir, stdio: ["ignore", "pipe", "inherit"] });
  const served: string[] = [];
  let buffered = "";
  const ready = new Promise<{ pid: number; record: ApproverRecord }>((resolveReady, reject) => {
    child.once("exit", (code) => reject(new Error(`the fake host exited (${code}) before it listened`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (let at = buffered.indexOf("\n"); at >= 0; at = buffered.indexOf("\n")) {
        const line = JSON.parse(buffered.slice(0, at)) as { ready?: true; pid: number; record: ApproverRecord; served?: string };
        buffered = buffered.slice(at + 1);
        if (line.ready === true) resolveReady(line);
        else if (line.served !== undefined) served.push(line.served);
      }
    });
  });
  const { pid, record } = await ready;
  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  return {
    port,
    pid,
    record,
    served,
    async stop() {
      // The node process itself (runuser's child): we are root, so we may signal it.
      process.kill(pid, "SIGTERM");
      await exited;
    },
  };
}

const approversFile = () => join(dirs.env.HITL_CONFIG_DIR!, "approvers.json");

function refusal(port: number): string {
  return `Something else is listening on 127.0.0.1:${port} and could not prove it is your hitl signing host (no valid x-hitl-host-proof); nothing was written or approved. Stop that program ('hitl doctor' names its owner when the OS tells) and restart your browser, or point hitl at your host's port with HITL_PORT / --port. If you re-created the host secret with 'hitl setup' since the browser started, restart the browser.`;
}

describe.each([
  { as: "nobody", proof: "none", owner: "user nobody (uid 65534)" },
  { as: "same user", proof: "forged", owner: "user root (uid 0)" },
] as const)("a squatter on the host port, run by $as, proof $proof", ({ as, proof, owner }) => {
  it("hitl pair refuses it with ERR_HOST_UNAUTHENTICATED and writes no approvers file", async () => {
    fake = await startFake(as, proof);
    const env = { ...dirs.env, HITL_PORT: String(fake.port) };
    const run = await runCli(["pair", "--json"], env);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toEqual({ decision: "error", code: "ERR_HOST_UNAUTHENTICATED", message: refusal(fake.port) });
    // It did answer /pair, correctly signed: only the missing proof stopped the CLI.
    expect(fake.served).toEqual(["POST /pair"]);
    await expect(readFile(approversFile())).rejects.toMatchObject({ code: "ENOENT" });

    const text = await runCli(["pair"], env);
    expect(text.code).toBe(3);
    expect(text.stdout).not.toContain("PAIRED");
    expect(text.stderr).toBe(`hitl: ERR_HOST_UNAUTHENTICATED: ${refusal(fake.port)}\n`);
  });

  it("hitl request refuses it even when its key is in the approvers file (paired before this check): nothing approved", async () => {
    fake = await startFake(as, proof);
    await addApprover(approversFile(), makeApprover("bob").record);
    await addApprover(approversFile(), fake.record);
    const before = await readFile(approversFile());
    const env = { ...dirs.env, HITL_PORT: String(fake.port) };
    const run = await runCli(["request", "--action", "delete /tmp/testfile", "--json"], env);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: "error", code: "ERR_HOST_UNAUTHENTICATED", message: refusal(fake.port) });
    expect(fake.served).toEqual(["POST /sign"]);
    expect(await readFile(approversFile())).toEqual(before);

    const text = await runCli(["request", "--action", "delete /tmp/testfile"], env);
    expect(text.code).toBe(3);
    expect(text.stdout).not.toContain("APPROVED");
    expect(text.stderr).toContain(`ERR_HOST_UNAUTHENTICATED: ${refusal(fake.port)}`);
  });

  it("hitl doctor flags the listener and names its owner", async () => {
    fake = await startFake(as, proof);
    const run = await runCli(["doctor", "--json"], { ...dirs.env, HITL_PORT: String(fake.port) });
    expect(run.code).toBe(3);
    const checks = (
      JSON.parse(run.stdout) as { checks: Array<{ name: string; status: string; code?: string; detail: string; remedy?: string }> }
    ).checks;
    const reachable = checks.find((check) => check.name === "host reachable");
    expect(reachable).toEqual({
      name: "host reachable",
      status: "fail",
      required: true,
      code: "ERR_HOST_UNAUTHENTICATED",
      detail: `something else is listening on ${fake.port} and could not prove it is your hitl signing host (owner: ${owner}, pid ${fake.pid}: ${process.execPath} ${script} ${fake.port} ${VERIFIER_URL} ${proof})`,
      remedy: `Stop it (kill ${fake.pid}, as its owner or root), then restart your browser so its signing host can take the port; until then nothing it answers is trusted. Why the signing host stopped or did not start is in its log, ${dirs.env.HITL_STATE_DIR}/signing-host.log. If you re-created the host secret with 'hitl setup' since the browser started, restart the browser.`,
    });
    // Nothing after the impostor is believed: not its "extension connected", not its key.
    expect(checks.find((check) => check.name === "extension connected")).toMatchObject({ status: "skip" });
    expect(checks.find((check) => check.name === "key present")).toMatchObject({ status: "skip" });
    expect(fake.served).toEqual(["GET /health"]);

    const text = await runCli(["doctor"], { ...dirs.env, HITL_PORT: String(fake.port) });
    expect(text.stdout).toMatch(new RegExp(`\\n✗ host reachable +something else is listening on ${fake.port} and could not prove`));
  });
});
