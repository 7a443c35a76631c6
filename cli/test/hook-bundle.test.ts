import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hookFixture } from "./helpers/hook-contracts.js";
import { isolatedDirs, runCliWithInput } from "./helpers/run-cli.js";

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
