import { EXIT_CODES } from "@hitl/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, exitCodeOf } from "../src/lib/command.js";
import { isolatedDirs, runCli } from "./helpers/run-cli.js";

/*
 * What every command has in common because it is declared with defineCommand: help generated
 * from the declaration, one exit-code table, one --json error shape. Through the built bin.
 */

const COMMANDS = [
  "request",
  "verify",
  "pair",
  "approvers",
  "setup",
  "policy",
  "server",
  "keys",
  "doctor",
  "hook",
  "mcp",
  "mcp-gate",
  "demo",
] as const;

let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
beforeAll(async () => {
  dirs = await isolatedDirs();
});
afterAll(async () => {
  await dirs.cleanup();
});

describe("the command line of hitl itself", () => {
  it("-V, -v and --version print the version", async () => {
    for (const flag of ["-V", "-v", "--version"]) {
      const run = await runCli([flag], dirs.env);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe("0.1.0\n");
    }
  });

  it("'hitl help request' is 'hitl request --help'; hitl --help lists every command", async () => {
    const viaHelp = await runCli(["help", "request"], dirs.env);
    const viaFlag = await runCli(["request", "--help"], dirs.env);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaHelp.stdout).toMatch(/^Usage: hitl request \(--action TEXT \| --action-file FILE\) \[options\]\n/);
    const list = await runCli(["--help"], dirs.env);
    for (const name of COMMANDS) expect(list.stdout).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
    const extra = await runCli(["help", "request", "now"], dirs.env);
    expect(extra.code).toBe(3);
    expect(extra.stderr).toBe(`hitl: ERR_USAGE: 'hitl help' takes one command name, got "request now".\n`);
  });

  it("a mistyped command: exit 3 with 'did you mean', or without when nothing is close", async () => {
    const typo = await runCli(["reqest", "--action", "x"], dirs.env);
    expect(typo.code).toBe(3);
    expect(typo.stdout).toBe("");
    expect(typo.stderr).toBe("hitl: ERR_USAGE: unknown command 'reqest'. Did you mean 'request'? Run 'hitl --help' for the list.\n");
    const help = await runCli(["help", "doctr"], dirs.env);
    expect(help.stderr).toBe("hitl: ERR_USAGE: unknown command 'doctr'. Did you mean 'doctor'? Run 'hitl --help' for the list.\n");
    const far = await runCli(["frobnicate"], dirs.env);
    expect(far.code).toBe(3);
    expect(far.stderr).toBe("hitl: ERR_USAGE: unknown command 'frobnicate'. Run 'hitl --help' for the list.\n");
  });
});

describe("every command's --help, generated from its declaration", () => {
  it.each(COMMANDS)("hitl %s --help: usage, summary, options with -h, exit codes from the one table", async (name) => {
    const run = await runCli([name, "--help"], dirs.env);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(new RegExp(`^Usage: hitl ${name}[ \\n]`));
    expect(run.stdout).toContain("\nOptions:\n");
    expect(run.stdout).toMatch(/\n {2}-h, --help +show this help\n/);
    expect(run.stdout).toMatch(/\nExit codes:\n( {2}[0-3] {2}.+\n( {5}.+\n)*)+/);
  });

  it("hitl demo --help says how to run it, and not 'pnpm demo [-- options]'", async () => {
    const run = await runCli(["demo", "--help"], dirs.env);
    expect(run.stdout).toMatch(/^Usage: hitl demo \[options\]\n/);
    expect(run.stdout).toContain("'pnpm demo [options]'");
    expect(run.stdout).not.toContain("[-- options]");
  });
});

describe("one --json error shape", () => {
  it.each([
    ["request", ["request", "--json", "--bogus"], { decision: "error" }],
    ["pair", ["pair", "--json", "--bogus"], { decision: "error" }],
    ["verify", ["verify", "--json", "--bogus"], { valid: false }],
    ["doctor", ["doctor", "--json", "--bogus"], { ok: false }],
    ["keys", ["keys", "--json", "--bogus"], {}],
    ["approvers", ["approvers", "--json", "--bogus"], {}],
    ["policy", ["policy", "--json", "--bogus"], { decision: "error" }],
  ])("%s: {verdict, code, message} on stdout, nothing on stderr, exit 3", async (name, argv, verdict) => {
    const run = await runCli(argv, dirs.env);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({
      ...verdict,
      code: "ERR_USAGE",
      // Node's own words (commands with positionals add how to pass "--bogus" as one).
      message: expect.stringMatching(new RegExp(`^Unknown option '--bogus'\\. (.+ )?Run 'hitl ${name} --help' for the options\\.$`)),
    });
  });

  it("without --json the same failure is one line on stderr", async () => {
    for (const name of COMMANDS.filter((command) => command !== "hook")) {
      const run = await runCli([name, "--bogus"], dirs.env);
      expect(run.code).toBe(3);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        new RegExp(`^hitl: ERR_USAGE: Unknown option '--bogus'\\. (.+ )?Run 'hitl ${name} --help' for the options\\.\n$`),
      );
    }
  });

  it("the hook keeps its own rule: a bad hook command line blocks (exit 2), never 1 or 3", async () => {
    const run = await runCli(["hook", "--bogus"], dirs.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^hitl: ERR_USAGE: 'hitl hook' needs the agent .*; the call is blocked\./);
  });
});

describe("the exit-code table", () => {
  it("is the SDK's for the outcomes, and every error code has one place in it", () => {
    expect(EXIT).toEqual({ ok: EXIT_CODES.approve, denied: EXIT_CODES.deny, timeout: EXIT_CODES.timeout, error: EXIT_CODES.error });
    expect(EXIT_CODES.paired).toBe(EXIT.ok);
    expect(exitCodeOf("ERR_DENIED")).toBe(EXIT.denied);
    expect(exitCodeOf("ERR_WITHDRAWN")).toBe(EXIT.denied);
    expect(exitCodeOf("ERR_KEYS_REVOKE_CANCELLED")).toBe(EXIT.denied);
    expect(exitCodeOf("ERR_TIMEOUT")).toBe(EXIT.timeout);
    expect(exitCodeOf("ERR_USAGE")).toBe(EXIT.error);
    expect(exitCodeOf("ERR_HOST_UNREACHABLE")).toBe(EXIT.error);
  });
});
