import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterEach, describe, expect, it } from "vitest";
import { readmeSnippet, snippetCodeLines } from "../../cli/test/helpers/readme-snippet.js";
import { type ApprovingHost, startApprovingHost } from "./helpers/approving-host.js";

/*
 * The README's two @hitl/sdk snippets, run for real: compiled as written (TypeScript, standard
 * decorators), importing the built @hitl/sdk as an installed application would, against the real
 * signing host with the test signing as the extension.
 */

const SDK_DIR = fileURLToPath(new URL("../", import.meta.url));
const TYPE_ROOTS = fileURLToPath(new URL("../../node_modules/@types", import.meta.url));

let running: ApprovingHost | undefined;
let appDir: string | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  if (appDir !== undefined) await rm(appDir, { recursive: true, force: true });
  appDir = undefined;
});

/** An application directory: the snippet as app.mjs, node_modules/@hitl/sdk → this package. */
async function application(name: string): Promise<{ dir: string; code: string }> {
  const { language, code } = readmeSnippet(name);
  expect(language).toBe("ts");
  const compiled = ts.transpileModule(code, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    reportDiagnostics: true,
  });
  expect(compiled.diagnostics ?? []).toEqual([]);
  appDir = await mkdtemp(join(tmpdir(), "hitl-snippet-"));
  await mkdir(join(appDir, "node_modules", "@hitl"), { recursive: true });
  await symlink(SDK_DIR, join(appDir, "node_modules", "@hitl", "sdk"), "dir");
  await writeFile(join(appDir, "app.mjs"), compiled.outputText);
  // Type-checked as written, strict, against the built package's declarations.
  await writeFile(join(appDir, "app.mts"), code);
  const program = ts.createProgram([join(appDir, "app.mts")], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ["node"],
    typeRoots: [TYPE_ROOTS],
    skipLibCheck: true,
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  expect(problems).toEqual([]);
  return { dir: appDir, code };
}

function runApp(dir: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["app.mjs"], { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("README: Use it from your agent — TypeScript", () => {
  it("sdk-with-approval: ≤ 10 lines; approved, ./build is deleted; denied, it stays and the app fails with ApprovalDenied", async () => {
    const { dir, code } = await application("sdk-with-approval");
    expect(snippetCodeLines(code)).toBeLessThanOrEqual(10);
    let decision: "approve" | "deny" = "deny";
    running = await startApprovingHost(() => decision);

    await mkdir(join(dir, "build", "sub"), { recursive: true });
    const denied = await runApp(dir, running.env);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/ApprovalDenied/);
    expect(denied.stderr).toMatch(/code: 'ERR_DENIED'/);
    expect(existsSync(join(dir, "build"))).toBe(true);

    decision = "approve";
    const approved = await runApp(dir, running.env);
    expect(approved.stderr).toBe("");
    expect(approved.code).toBe(0);
    expect(existsSync(join(dir, "build"))).toBe(false);
    expect(running.shown.map((c) => c.action)).toEqual([
      { summary: "Delete the directory ./build", details: { call: "removeDirectory", arguments: ["./build"] } },
      { summary: "Delete the directory ./build", details: { call: "removeDirectory", arguments: ["./build"] } },
    ]);
  });

  it("sdk-request-approval: ≤ 10 lines; approved, it names the approver and key; denied or no replay store, the code and exit 1", async () => {
    const { dir, code } = await application("sdk-request-approval");
    expect(snippetCodeLines(code)).toBeLessThanOrEqual(10);
    let decision: "approve" | "deny" = "approve";
    running = await startApprovingHost(() => decision);
    const approved = await runApp(dir, running.env);
    expect(approved.stderr).toBe("");
    expect(approved.code).toBe(0);
    // The key as the approvers file holds it (base64url), not bytes.
    expect(approved.stdout).toBe(`approved by alice (key ${running.alice.publicKeyText})\n`);

    decision = "deny";
    const denied = await runApp(dir, running.env);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^ERR_DENIED: /);

    // Found before asking: the host passes nothing on to the extension.
    const sent = running.host.received.length;
    const noStore = await runApp(dir, { ...running.env, HITL_STATE_DIR: "/proc/nope" });
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toBe(
      "ERR_NONCE_STORE_UNAVAILABLE: The replay store /proc/nope/nonces cannot record nonces (ENOENT), so no approval is requested. Make that directory writable (or remove what stands in its place), or set HITL_STATE_DIR to a writable directory.\n",
    );
    expect(running.host.received.slice(sent)).toEqual([]);
    expect(running.shown.map((c) => c.action)).toEqual([
      { summary: "Rotate the production API key" },
      { summary: "Rotate the production API key" },
    ]);
  });

  it("sdk-decorator: ≤ 10 lines; compiled with standard decorators; approved, the method runs once", async () => {
    const { dir, code } = await application("sdk-decorator");
    expect(snippetCodeLines(code)).toBeLessThanOrEqual(10);
    running = await startApprovingHost(() => "approve");
    const run = await runApp(dir, running.env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("deploying v1.4.0 to production\n");
    expect(running.shown.map((c) => c.action)).toEqual([
      { summary: "Deploy v1.4.0 to production", details: { call: "deploy", arguments: ["production", "v1.4.0"] } },
    ]);
  });
});
