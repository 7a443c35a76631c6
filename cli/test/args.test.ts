import { resolvePort } from "@hitl/sdk";
import { describe, expect, it } from "vitest";
import { parsePairArgs } from "../src/commands/pair.js";
import { parseRequestArgs } from "../src/commands/request.js";
import { isolatedDirs, runCli } from "./helpers/run-cli.js";

const usage = (message: string) => ({ code: "ERR_USAGE", message });

describe("argument parsing (in process)", () => {
  it("request: unknown flags, stray words, missing values are ERR_USAGE with a pointer to --help", () => {
    expect(() => parseRequestArgs(["--action", "x", "--bogus"], {})).toThrow(
      expect.objectContaining(usage("Unknown option '--bogus'. Run 'hitl request --help' for the options.")),
    );
    expect(() => parseRequestArgs(["--action", "x", "extra"], {})).toThrow(
      expect.objectContaining(
        usage("Unexpected argument 'extra'. This command does not take positional arguments. Run 'hitl request --help' for the options."),
      ),
    );
    expect(() => parseRequestArgs(["--action"], {})).toThrow(
      expect.objectContaining(usage("Option '--action <value>' argument missing. Run 'hitl request --help' for the options.")),
    );
    expect(() => parseRequestArgs(["--json=yes", "--action", "x"], {})).toThrow(
      expect.objectContaining(usage("Option '--json' does not take an argument. Run 'hitl request --help' for the options.")),
    );
  });

  it("request: --action is required and must say something", () => {
    const missing = usage(
      '--action is required: say what will happen, e.g. --action "delete /tmp/testfile" (or --action-file FILE, - for standard input).',
    );
    expect(() => parseRequestArgs([], {})).toThrow(expect.objectContaining(missing));
    expect(() => parseRequestArgs(["--action", "  "], {})).toThrow(expect.objectContaining(missing));
    expect(() => parseRequestArgs(["--action", "\u200b\u3164"], {})).toThrow(expect.objectContaining(missing));
  });

  it("request: --details must be JSON, --timeout whole seconds in 1..3600, --port a port", () => {
    expect(() => parseRequestArgs(["--action", "x", "--details", "{path:1}"], {})).toThrow(
      expect.objectContaining({
        code: "ERR_USAGE",
        message: expect.stringMatching(/^--details is not valid JSON \(.+\); pass one JSON value/),
      }),
    );
    // Read as the protocol reads JSON text: what is typed is what is shown and signed.
    expect(() => parseRequestArgs(["--action", "x", "--details", '{"n":1.0}'], {})).toThrow(
      expect.objectContaining(
        usage(
          '--details writes the number 1.0 in another form than canonical JSON\'s (1); write numbers as RFC 8785 does (no "1.0", "1e0", "-0", leading zeros or more digits than a double holds).',
        ),
      ),
    );
    expect(() => parseRequestArgs(["--action", "x", "--details", '{"a":1,"\\u0061":2}'], {})).toThrow(
      expect.objectContaining(usage('--details repeats the member name "a" in one object; duplicate names are ambiguous and refused.')),
    );
    for (const bad of ["0", "3601", "1.5", "-3", "10s", ""]) {
      expect(() => parseRequestArgs(["--action", "x", `--timeout=${bad}`], {})).toThrow(
        expect.objectContaining(usage(`--timeout must be a whole number of seconds from 1 to 3600, got ${JSON.stringify(bad)}.`)),
      );
    }
    expect(() => parseRequestArgs(["--action", "x", "--port", "70000"], {})).toThrow(
      expect.objectContaining(usage('--port must be a port number between 1 and 65535, got "70000".')),
    );
    expect(() => parseRequestArgs(["--action", "x", "--aud", ""], {})).toThrow(expect.objectContaining(usage("--aud must not be empty.")));
  });

  it("request: defaults and precedence --port > HITL_PORT > 7331", () => {
    expect(parseRequestArgs(["--action", "delete /tmp/testfile"], {})).toEqual({
      help: false,
      json: false,
      action: { summary: "delete /tmp/testfile" },
      aud: "hitl-cli",
      timeoutSeconds: 120,
      port: 7331,
    });
    expect(parseRequestArgs(["--action", "x"], { HITL_PORT: "4000" })).toMatchObject({ port: 4000 });
    expect(parseRequestArgs(["--action", "x", "--port", "5000"], { HITL_PORT: "4000" })).toMatchObject({ port: 5000 });
    expect(parseRequestArgs(["--action", "x", "--details", '{"a":[1,"ü"]}', "--timeout", "3600", "--json"], {})).toMatchObject({
      action: { summary: "x", details: { a: [1, "ü"] } },
      timeoutSeconds: 3600,
      json: true,
    });
  });

  it("--help answers without checking anything else; a command's own flags are checked before the shared ones", () => {
    expect(parseRequestArgs(["--help", "--timeout", "0", "--port", "x"], {})).toMatchObject({ help: true });
    expect(parsePairArgs(["-h", "--name", ""], {})).toMatchObject({ help: true });
    expect(() => parseRequestArgs(["--timeout", "0"], {})).toThrow(
      expect.objectContaining({ code: "ERR_USAGE", message: expect.stringMatching(/^--action is required/) }),
    );
    expect(() => parsePairArgs(["--name", "", "--aud", ""], {})).toThrow(expect.objectContaining(usage("--name must not be empty.")));
    expect(() => parseRequestArgs(["--action", "x", "--aud", "", "--timeout", "0"], {})).toThrow(
      expect.objectContaining(usage("--aud must not be empty.")),
    );
  });

  it("hitl pair --key-lifetime: persistent by default, session on request, anything else is a usage error", () => {
    expect(parsePairArgs([], {})).toMatchObject({ help: false, keyLifetime: "persistent" });
    expect(parsePairArgs(["--key-lifetime", "session"], {})).toMatchObject({ keyLifetime: "session" });
    expect(parsePairArgs(["--key-lifetime", "persistent", "--name", "bob"], {})).toMatchObject({ keyLifetime: "persistent", name: "bob" });
    expect(() => parsePairArgs(["--key-lifetime", "Session"], {})).toThrow(
      expect.objectContaining(usage('--key-lifetime must be persistent or session, not "Session".')),
    );
    expect(() => parsePairArgs(["--key-lifetime", ""], {})).toThrow(
      expect.objectContaining(usage('--key-lifetime must be persistent or session, not "".')),
    );
  });

  it("a broken HITL_PORT is ERR_CONFIG, not silently the default", () => {
    expect(() => resolvePort(undefined, { HITL_PORT: "73x1" })).toThrow(
      expect.objectContaining({ code: "ERR_CONFIG", message: 'HITL_PORT must be a port number between 1 and 65535, got "73x1".' }),
    );
    expect(resolvePort(undefined, { HITL_PORT: "" })).toBe(7331);
  });

  it("pair and doctor use the same strict rules", () => {
    expect(() => parsePairArgs(["--name"], {})).toThrow(
      expect.objectContaining(usage("Option '--name <value>' argument missing. Run 'hitl pair --help' for the options.")),
    );
    expect(() => parsePairArgs(["--name", ""], {})).toThrow(expect.objectContaining(usage("--name must not be empty.")));
    expect(() => parsePairArgs(["--timeout", "0"], {})).toThrow(
      expect.objectContaining(usage('--timeout must be a whole number of seconds from 1 to 3600, got "0".')),
    );
    expect(parsePairArgs(["--name", "alice"], { HITL_PORT: "4100" })).toEqual({
      help: false,
      json: false,
      name: "alice",
      keyLifetime: "persistent",
      aud: "hitl-cli",
      timeoutSeconds: 120,
      port: 4100,
    });
  });
});

describe("argument errors from the real command (exit 3, one line)", () => {
  it("prints `hitl: ERR_USAGE: ...` on stderr, or the JSON verdict with --json", async () => {
    const dirs = await isolatedDirs();
    try {
      const run = await runCli(["request", "--action", "x", "--bogus"], dirs.env);
      expect(run.code).toBe(3);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe("hitl: ERR_USAGE: Unknown option '--bogus'. Run 'hitl request --help' for the options.\n");

      const json = await runCli(["request", "--json", "--timeout", "0", "--action", "x"], dirs.env);
      expect(json.code).toBe(3);
      expect(JSON.parse(json.stdout)).toEqual({
        decision: "error",
        code: "ERR_USAGE",
        message: '--timeout must be a whole number of seconds from 1 to 3600, got "0".',
      });

      const pair = await runCli(["pair", "extra"], dirs.env);
      expect(pair.code).toBe(3);
      expect(pair.stderr).toMatch(/^hitl: ERR_USAGE: Unexpected argument 'extra'/);

      const unknown = await runCli(["approve"], dirs.env);
      expect(unknown.code).toBe(3);
      expect(unknown.stderr).toBe(
        "hitl: ERR_USAGE: unknown command 'approve'. Did you mean 'approvers'? Run 'hitl --help' for the list.\n",
      );

      const doctor = await runCli(["doctor", "--fix"], dirs.env);
      expect(doctor.code).toBe(3);
      expect(doctor.stderr).toBe("hitl: ERR_USAGE: Unknown option '--fix'. Run 'hitl doctor --help' for the options.\n");

      const help = await runCli(["request", "--help"], dirs.env);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Usage: hitl request (--action TEXT | --action-file FILE) [options]");
      expect(help.stdout).toContain("2  timed out");
    } finally {
      await dirs.cleanup();
    }
  });
});
