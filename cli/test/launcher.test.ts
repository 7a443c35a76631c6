import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { resolvePaths } from "@hitl/verifier";
import { afterAll, describe, expect, it } from "vitest";

/*
 * cli/bin/hitl, the command users run (through pnpm's shim in node_modules/.bin, or a symlink on
 * PATH). It sets NODE_EXTRA_CA_CERTS aside so Node does not build its CA store at every start,
 * keeps it when hitl will speak TLS (a rediss:// replay store), and dist/bin.cjs gives it back to
 * every process hitl starts. A CA file that does not exist makes Node print a warning at start-up
 * exactly when it reads the variable, which is what these tests look for.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHIM = join(ROOT, "node_modules", ".bin", "hitl");
const LAUNCHER = join(ROOT, "cli", "bin", "hitl");
const MISSING_CA = "/nonexistent/hitl-test-ca.pem";
const NODE_READ_IT = "Ignoring extra certs from";

const scratch = mkdtempSync(join(tmpdir(), "hitl-launcher-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(command: string, args: string[], extraEnv: Record<string, string | undefined>) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  for (const [name, value] of Object.entries(extraEnv)) if (value === undefined) delete env[name];
  return spawnSync(command, args, { env, encoding: "utf8", timeout: 20_000 });
}

describe("bin/hitl", () => {
  it("starts hitl without Node reading NODE_EXTRA_CA_CERTS", () => {
    const result = run(SHIM, ["--version"], { NODE_EXTRA_CA_CERTS: MISSING_CA, HITL_REDIS_URL: undefined });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("0.1.0\n");
    expect(result.stderr).not.toContain(NODE_READ_IT);
  });

  it("leaves NODE_EXTRA_CA_CERTS in place when the replay store is reached over TLS (rediss://)", () => {
    const result = run(SHIM, ["--version"], { NODE_EXTRA_CA_CERTS: MISSING_CA, HITL_REDIS_URL: "rediss://redis.example:6380" });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`${NODE_READ_IT} \`${MISSING_CA}\``);
  });

  it("leaves it in place in team mode (team.json in the config dir: https to the hitl server and Keycloak)", () => {
    const config = mkdtempSync(join(scratch, "team-"));
    const outside = { NODE_EXTRA_CA_CERTS: MISSING_CA, HITL_REDIS_URL: undefined, HITL_CONFIG_DIR: config };
    expect(run(SHIM, ["--version"], outside).stderr).not.toContain(NODE_READ_IT);
    writeFileSync(join(config, "team.json"), "{}");
    const result = run(SHIM, ["--version"], outside);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`${NODE_READ_IT} \`${MISSING_CA}\``);
  });

  it.each(["server", "setup", "doctor"])("leaves it in place for `hitl %s` (team mode's set-up and server speak TLS)", (command) => {
    const config = mkdtempSync(join(scratch, "local-"));
    const result = run(SHIM, [command, "--help"], { NODE_EXTRA_CA_CERTS: MISSING_CA, HITL_REDIS_URL: undefined, HITL_CONFIG_DIR: config });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`${NODE_READ_IT} \`${MISSING_CA}\``);
  });

  it("looks for team.json where hitl's config dir is (resolvePaths), for every mix of HOME, XDG_CONFIG_HOME and HITL_CONFIG_DIR", () => {
    // The launcher's own test, in sh, of the path it checks; evaluated by sh as the launcher does.
    const test = /\[ -e "([^"]+)" \]/.exec(readFileSync(LAUNCHER, "utf8"))?.[1];
    expect(test).toMatch(/team\.json$/);
    let checked = 0;
    // HOME unset or empty is left out: sh then has no home, Node asks the password database.
    for (const xdg of [undefined, "", "/x/config"]) {
      for (const own of [undefined, "", "/h/conf"]) {
        const env: NodeJS.ProcessEnv = { HOME: "/home/a", PATH: process.env.PATH };
        if (xdg !== undefined) env.XDG_CONFIG_HOME = xdg;
        if (own !== undefined) env.HITL_CONFIG_DIR = own;
        const shell = execFileSync("sh", ["-c", `printf '%s' "${test}"`], { env, encoding: "utf8" });
        expect(shell, JSON.stringify(env)).toBe(join(resolvePaths(env).configDir, "team.json"));
        checked++;
      }
    }
    expect(checked).toBe(9);
  });

  it("gives the variable back, unchanged, to the processes hitl starts", () => {
    // Preloaded into the hitl process: prints what a child would inherit once hitl is done.
    const probe = join(scratch, "probe.cjs");
    writeFileSync(
      probe,
      `process.on("exit", () => process.stderr.write("child would get " + JSON.stringify([process.env.NODE_EXTRA_CA_CERTS, process.env.HITL_EXTRA_CA_CERTS]) + "\\n"));\n`,
    );
    const result = run(SHIM, ["--version"], { NODE_EXTRA_CA_CERTS: MISSING_CA, NODE_OPTIONS: `--require ${probe}` });
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain(NODE_READ_IT);
    expect(result.stderr).toContain(`child would get ${JSON.stringify([MISSING_CA, null])}`);
  });

  it("finds dist/bin.cjs through a symlink on PATH", () => {
    const link = join(scratch, "hitl");
    symlinkSync(LAUNCHER, link);
    const result = run(link, ["--version"], { NODE_EXTRA_CA_CERTS: undefined });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("0.1.0\n");
  });

  it("finds dist/bin.cjs through a symlink also when Node is told to keep the main script's symlink", () => {
    const link = join(scratch, "hitl-preserved");
    symlinkSync(LAUNCHER, link);
    const result = run(link, ["--version"], { NODE_EXTRA_CA_CERTS: undefined, NODE_OPTIONS: "--preserve-symlinks-main" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("0.1.0\n");
  });

  it("passes arguments through untouched (spaces, quotes, $) and keeps hitl's exit code", () => {
    const path = join(scratch, `no such dir`, `r 'q' "d" ;$(x).json`);
    const result = run(SHIM, ["verify", path], {});
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(`hitl: ERR_USAGE: Cannot read the receipt file ${path} (ENOENT). Check the path.`);
  });
});

/*
 * What keeps `hitl --version` within a few percent of `node -e 0` (verifier/bench/run.js measures
 * the time): a CommonJS entry, so Node's ES module loader is not started, and output written to
 * the descriptor, so no stdout stream (for a pipe: the net module) is built.
 */
describe("start-up cost of the entry", () => {
  const probe = join(scratch, "loaded.cjs");
  writeFileSync(
    probe,
    `process.on("exit", () => require("node:fs").writeSync(2, "loaded " + JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (internal\\/modules\\/esm\\/loader|net|stream)$/.test(m))) + "\\n"));\n`,
  );

  for (const args of [["--version"], ["--help"], ["no-such-command"]]) {
    it(`hitl ${args[0]} starts neither the ES module loader nor a stdout or stderr stream`, () => {
      const link = join(scratch, `hitl-${args[0]}`);
      symlinkSync(LAUNCHER, link);
      const result = run(link, args, { NODE_EXTRA_CA_CERTS: undefined, NODE_OPTIONS: `--require ${probe}` });
      expect(result.stderr.split("\n").at(-2)).toBe("loaded []");
      expect(result.status).toBe(args[0] === "no-such-command" ? 3 : 0);
    });
  }

  it("a bundled command (verify) runs from its CommonJS bundle without the ES module loader", () => {
    const result = run(SHIM, ["verify", "--help"], { NODE_EXTRA_CA_CERTS: undefined, NODE_OPTIONS: `--require ${probe}` });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: hitl verify");
    const loaded = JSON.parse(
      result.stderr
        .split("\n")
        .at(-2)
        ?.replace(/^loaded /, "") ?? "null",
    ) as string[];
    expect(loaded).not.toContain("NativeModule internal/modules/esm/loader");
    expect(loaded).toContain("NativeModule stream"); // the probe works: the command's output went through a stream
  });

  it("every bundle keeps the strict mode of the ES modules it was made from", () => {
    const bundles = readdirSync(join(ROOT, "cli", "dist", "bundle")).filter((name) => name.endsWith(".cjs"));
    expect(bundles.sort()).toEqual(expect.arrayContaining(["pair.cjs", "request.cjs", "verify.cjs"]));
    for (const name of bundles) {
      expect(readFileSync(join(ROOT, "cli", "dist", "bundle", name), "utf8").startsWith('"use strict";\n')).toBe(true);
    }
  });

  it("a command that is not bundled (doctor) still loads as ES modules (the loader starts at its import)", () => {
    const result = run(SHIM, ["doctor", "--help"], { NODE_EXTRA_CA_CERTS: undefined, NODE_OPTIONS: `--require ${probe}` });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: hitl doctor");
    expect(result.stderr).toContain("NativeModule internal/modules/esm/loader");
  });

  /*
   * A descriptor can arrive non-blocking (a terminal another program left so, or a pipe a parent
   * opened that way); a full one then refuses a write with EAGAIN. The preload makes stdout such
   * a pipe: touching process.stdout opens fd 1 through libuv (non-blocking), then it writes until
   * the pipe stays full, while this test does not read. Every write the entry makes is logged.
   */
  it("--help on a full non-blocking pipe: what the descriptor refused goes out through the stream, all of it, exit 0", async () => {
    const fill = join(scratch, "fill.cjs");
    writeFileSync(
      fill,
      `const fs = require("node:fs");
process.stdout;
const chunk = Buffer.alloc(65536, 0x2e);
let filled = 0;
for (let quiet = 0; quiet < 3; ) {
  try { filled += fs.writeSync(1, chunk); quiet = 0; }
  catch (error) { if (error.code !== "EAGAIN") throw error; quiet++; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); }
}
const writeSync = fs.writeSync;
fs.writeSync = (...args) => {
  try { return writeSync(...args); }
  catch (error) { writeSync(2, "entry write: " + error.code + "\\n"); throw error; }
};
writeSync(2, "full after " + filled + "\\n");
`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--require ${fill}` };
    delete env.NODE_EXTRA_CA_CERTS;
    const child = spawn(LAUNCHER, ["--help"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    const full = new Promise<void>((resolve) => {
      child.stderr.on("data", (text: string) => {
        stderr += text;
        if (stderr.includes("entry write: EAGAIN")) resolve();
      });
    });
    await full;
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    const stdout = Buffer.concat(chunks).toString("utf8");
    expect(code).toBe(0);
    expect(stderr).toMatch(/^full after [0-9]+\nentry write: EAGAIN\n$/);
    const filled = Number(/full after ([0-9]+)/.exec(stderr)?.[1]);
    expect(stdout.slice(0, filled)).toBe(".".repeat(filled));
    expect(stdout.slice(filled)).toMatch(
      /^Usage: hitl <command> \[options\]\n\nCommands:\n[\s\S]*Run 'hitl help <command>' \(or 'hitl <command> --help'\) for a command's options\.\n$/,
    );
  }, 20_000);
});
