import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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

  it("passes arguments through untouched (spaces, quotes, $) and keeps hitl's exit code", () => {
    const path = join(scratch, `no such dir`, `r 'q' "d" ;$(x).json`);
    const result = run(SHIM, ["verify", path], {});
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(`hitl: ERR_USAGE: Cannot read the receipt file ${path} (ENOENT). Check the path.`);
  });
});
