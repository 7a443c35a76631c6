import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hookFixture } from "./helpers/hook-contracts.js";
import { BIN, isolatedDirs, runCliWithInput } from "./helpers/run-cli.js";

/*
 * An allowed tool call must cost almost nothing (it runs before every tool call), so the hook's
 * bundle holds only stdin, the policy and the answer: the asking path (SDK, node:http, the
 * verifier's crypto) and `hook install` are imported at run time from tsc's output, by a path
 * that names the same file from dist/bundle/ as from dist/hooks/ and dist/commands/.
 */
const DIST = fileURLToPath(new URL("../dist/", import.meta.url));

describe("the hook bundle (after pnpm build)", () => {
  it("leaves the asking path and install out, and the paths it imports them by exist from the bundle's directory", () => {
    const bundle = readFileSync(`${DIST}bundle/hook.cjs`, "utf8");
    for (const heavy of ['from "node:http"', 'from "node:crypto"', "requestApproval", "installHook"]) expect(bundle).not.toContain(heavy);
    for (const lazy of ["../hooks/lib/ask-human.js", "../hooks/install-command.js"]) {
      expect(bundle).toContain(`import("${lazy}")`);
      expect(existsSync(fileURLToPath(new URL(lazy, `file://${DIST}bundle/hook.cjs`)))).toBe(true);
    }
  });

  it("imports momoa (line numbers of a malformed policy) by name at run time instead of carrying it", () => {
    const bundle = readFileSync(`${DIST}bundle/hook.cjs`, "utf8");
    expect(bundle).toContain('import("@humanwhocodes/momoa")');
    expect(bundle).not.toContain("node_modules/@humanwhocodes/momoa/");
  });
});

/*
 * The bundle is CommonJS, where import.meta is empty: the policy's one use,
 * createRequire(import.meta.url) finding the bash grammar's .wasm, gets the bundle's own URL
 * (scripts/bundle.mjs). A command only tree-sitter-bash reads proves the lookup works from there.
 */
describe("the built hook reads a command with tree-sitter-bash from its bundle", () => {
  let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
  beforeEach(async () => {
    dirs = await isolatedDirs();
  });
  afterEach(async () => {
    await dirs.cleanup();
  });

  it("allows a harmless pipeline the fast lexer declines (exit 0, no output)", async () => {
    const fixture = hookFixture("claude-code", "bash-allowed").json as { tool_input: Record<string, unknown> };
    fixture.tool_input.command = "ls -la | grep -c x";
    expect(existsSync(`${DIST}bundle/hook.cjs`)).toBe(true);
    const run = await runCliWithInput(["hook", "claude-code"], dirs.env, JSON.stringify(fixture));
    expect(run).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  it("banner: import.meta.url is the bundle's file URL, and no other import.meta is left", () => {
    const bundle = readFileSync(`${DIST}bundle/hook.cjs`, "utf8");
    expect(bundle.split("\n").slice(0, 2)).toEqual([
      '"use strict";',
      'const __hitlBundleUrl = require("node:url").pathToFileURL(__filename).href;',
    ]);
    expect(bundle).toContain('createRequire)(__hitlBundleUrl).resolve("tree-sitter-bash/tree-sitter-bash.wasm")');
    expect(bundle).not.toMatch(/import\.meta|import_meta/);
  });
});

/*
 * Node's built-in modules outside its start-up snapshot cost a fresh process a millisecond or
 * more each. An allowed call (no policy file, and a valid one) must load none of these; the
 * list is what once crept in (fs/promises for the policy file; the verifier's index for an error
 * class, with lru-cache's diagnostics_channel and perf_hooks) and the asking path (http, crypto).
 */
describe("an allowed call loads no built-in module it does not need", () => {
  let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
  beforeEach(async () => {
    dirs = await isolatedDirs();
  });
  afterEach(async () => {
    await dirs.cleanup();
  });

  const UNWANTED = ["fs/promises", "internal/fs/promises", "diagnostics_channel", "perf_hooks", "http", "crypto", "net", "esm/loader"];

  function builtinsLoaded(): string[] {
    const probe = `${dirs.root}/loaded.cjs`;
    writeFileSync(
      probe,
      `process.on("exit", (code) => { if (code === 0) require("node:fs").writeSync(1, JSON.stringify(process.moduleLoadList)); });\n`,
    );
    const run = spawnSync(process.execPath, ["--require", probe, BIN, "hook", "claude-code"], {
      input: hookFixture("claude-code", "bash-allowed").text,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dirs.root, ...dirs.env },
      encoding: "utf8",
    });
    expect({ code: run.status, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    return (JSON.parse(run.stdout) as string[]).map((entry) => entry.replace(/^NativeModule /, ""));
  }

  it("without a policy file (the default policy)", () => {
    const loaded = builtinsLoaded();
    expect(loaded).toContain("fs");
    expect(
      loaded.filter((name) => UNWANTED.some((unwanted) => name === unwanted || name.startsWith(`internal/modules/${unwanted}`))),
    ).toEqual([]);
  });

  it("with a valid policy file", () => {
    const policy = `${dirs.env.HITL_CONFIG_DIR}/policy.json`;
    writeFileSync(policy, JSON.stringify({ version: 1, otherwise: "allow", rules: [] }));
    const loaded = builtinsLoaded();
    expect(
      loaded.filter((name) => UNWANTED.some((unwanted) => name === unwanted || name.startsWith(`internal/modules/${unwanted}`))),
    ).toEqual([]);
  });
});
