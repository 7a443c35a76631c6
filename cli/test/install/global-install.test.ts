/*
 * A real install: the README's "Use it for real" snippet, run line by line. The packages are
 * packed from this checkout and installed with npm into an empty prefix, then `hitl` runs from
 * another directory with a fresh HOME, as on a machine that never saw the checkout.
 *
 * npm fetches the third-party dependencies with --prefer-offline: from npm's cache when it holds
 * them (then the install needs no network, ~15 s), from the registry otherwise (a cold cache on CI).
 * @hitl/* must come from the tarballs only. npm still asks a registry for each of them before it
 * settles on the tarball next to it, so their registry is a local server that knows no package:
 * the public registry is never asked for @hitl/* (someone else's package could answer), and a
 * closed port would cost npm's retries (minutes).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_EXTENSION_ID } from "@hitl/signing-host";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../helpers/peer-host.js";
import { readmeSnippet } from "../helpers/readme-snippet.js";

const REPO = realpathSync(fileURLToPath(new URL("../../../", import.meta.url)));
const VERSION = (JSON.parse(readFileSync(join(REPO, "cli", "package.json"), "utf8")) as { version: string }).version;
const PACKAGES = ["cli", "sdk", "server", "signing-host", "verifier"];
/** The snippet packs into ~/hitl-packages; the test into its own directory (runs may overlap). */
const PACK_DIR_IN_README = "~/hitl-packages";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function sh(line: string, options: { cwd: string; env: NodeJS.ProcessEnv; timeout: number }): Promise<Run> {
  return exec("/bin/sh", ["-c", line], options);
}

function exec(file: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeout: number }): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(file, args, { ...options, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}

function passThrough(names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
}

function hasDirectoryNamed(root: string, name: string): boolean {
  return readdirSync(root, { recursive: true, withFileTypes: true }).some((entry) => entry.isDirectory() && entry.name === name);
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

describe("a global install from the packed packages (README: Use it for real)", () => {
  const lines = readmeSnippet("install")
    .code.split("\n")
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
  let root: string;
  let packDir: string;
  let prefix: string;
  let home: string;
  let elsewhere: string;
  let userEnv: NodeJS.ProcessEnv;
  let npmEnv: NodeJS.ProcessEnv;
  let port: number;
  const outputs: string[] = [];
  let host: ChildProcess | undefined;
  let emptyRegistry: Server;
  const registryAsked: string[] = [];

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), "hitl-install-")));
    packDir = join(root, "packages");
    prefix = join(root, "prefix");
    home = join(root, "home");
    elsewhere = join(root, "elsewhere");
    for (const dir of [packDir, prefix, home, elsewhere]) mkdirSync(dir);
    // A user who has run Chromium once: `hitl setup` (default --browser all) finds its profile.
    mkdirSync(join(home, ".config", "chromium"), { recursive: true });
    port = await freePort();
    emptyRegistry = createServer((request, response) => {
      registryAsked.push(request.url ?? "");
      response.writeHead(404, { "content-type": "application/json" }).end('{"error":"Not found"}');
    });
    await new Promise<void>((resolve) => emptyRegistry.listen(0, "127.0.0.1", resolve));
    const emptyRegistryUrl = `http://127.0.0.1:${(emptyRegistry.address() as AddressInfo).port}/`;
    // The user's machine: the installed prefix first on PATH, then this node; no HITL_* or XDG_*.
    userEnv = { PATH: `${prefix}/bin:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, HITL_PORT: String(port) };
    const npmConfig = (key: string) => execFileSync("npm", ["config", "get", key], { encoding: "utf8" }).trim();
    npmEnv = {
      ...userEnv,
      // The network as the developer's npm sees it: proxies, extra CAs, their npmrc.
      ...passThrough(["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "NODE_EXTRA_CA_CERTS"]),
      npm_config_userconfig: npmConfig("userconfig"),
      npm_config_prefix: prefix,
      npm_config_cache: npmConfig("cache"),
      npm_config_registry: npmConfig("registry"),
      npm_config_prefer_offline: "true",
      "npm_config_@hitl:registry": emptyRegistryUrl,
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    };
  }, 60_000);

  afterAll(async () => {
    if (host?.exitCode === null) {
      host.kill("SIGTERM");
      await new Promise((resolve) => host!.once("exit", resolve));
    }
    await new Promise((resolve) => emptyRegistry.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  test("the snippet is the five commands this test runs", () => {
    expect(lines).toEqual([
      `pnpm --filter "@hitl/cli..." pack --pack-destination ${PACK_DIR_IN_README}`,
      `npm install -g ${PACK_DIR_IN_README}/*.tgz`,
      "hitl --version",
      "hitl setup",
      "hitl doctor",
    ]);
  });

  test("pnpm pack: publishable packages whose dependencies resolve outside the workspace", async () => {
    const run = await sh(lines[0]!.replace(PACK_DIR_IN_README, packDir), { cwd: REPO, env: process.env, timeout: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(packDir).sort()).toEqual(PACKAGES.map((name) => `hitl-${name}-${VERSION}.tgz`));
    for (const name of PACKAGES) {
      const manifest = execFileSync("tar", ["-xzOf", join(packDir, `hitl-${name}-${VERSION}.tgz`), "package/package.json"], {
        encoding: "utf8",
      });
      const pkg = JSON.parse(manifest) as Record<string, unknown> & { dependencies?: Record<string, string> };
      expect(manifest).not.toContain("workspace:");
      expect(pkg).not.toHaveProperty("private");
      expect(pkg).toMatchObject({ name: `@hitl/${name}`, version: VERSION, engines: { node: ">=20.19" } });
      for (const [dependency, range] of Object.entries(pkg.dependencies ?? {})) {
        if (dependency.startsWith("@hitl/")) expect(range, `${name} → ${dependency}`).toBe(VERSION);
      }
      // Only the built code and what it reads at run time.
      const files = execFileSync("tar", ["-tzf", join(packDir, `hitl-${name}-${VERSION}.tgz`)], { encoding: "utf8" }).split("\n");
      expect(files.filter((file) => /\/(src|test)\/|\.map$|tsbuildinfo/.test(file))).toEqual([]);
    }
  }, 60_000);

  test("npm install -g into an empty prefix: hitl on PATH, no playwright-core", async () => {
    const run = await sh(lines[1]!.replace(PACK_DIR_IN_README, packDir), { cwd: elsewhere, env: npmEnv, timeout: 600_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(registryAsked.every((path) => path.startsWith("/@hitl"))).toBe(true);
    console.log(`npm install -g of ${PACKAGES.length} tarballs: ${run.ms} ms (${run.stdout.trim().split("\n").at(-1)})`);
    expect(existsSync(join(prefix, "bin", "hitl"))).toBe(true);
    // @hitl/cli's own packages came from the tarballs, next to it, not from a registry.
    const installed = join(prefix, "lib", "node_modules");
    expect(readdirSync(join(installed, "@hitl")).sort()).toEqual(PACKAGES);
    expect(existsSync(join(installed, "@hitl", "cli", "node_modules", "@hitl"))).toBe(false);
    // `hitl demo --auto-approve` loads playwright-core optionally; it is no runtime dependency.
    expect(hasDirectoryNamed(installed, "playwright-core")).toBe(false);
  }, 610_000);

  test("every module of the installed packages loads; what hitl loads lazily resolves, playwright-core does not", async () => {
    // Entry scripts (a shebang: bin.cjs, demo.js, the host's main.js) would run; everything else is imported.
    const script = `
      import { readdirSync, readFileSync } from "node:fs";
      import { createRequire } from "node:module";
      import { join } from "node:path";
      const root = ${JSON.stringify(join(prefix, "lib", "node_modules", "@hitl"))};
      let imported = 0;
      for (const pkg of readdirSync(root)) {
        for (const entry of readdirSync(join(root, pkg, "dist"), { recursive: true, withFileTypes: true })) {
          const file = join(entry.parentPath, entry.name);
          if (!entry.isFile() || !/\\.c?js$/.test(file) || readFileSync(file, "utf8").startsWith("#!")) continue;
          await import(file);
          imported += 1;
        }
      }
      const fromCli = createRequire(join(root, "cli", "dist", "index.js"));
      for (const name of ["ioredis", "web-tree-sitter", "picomatch", "@humanwhocodes/momoa", "tree-sitter-bash/tree-sitter-bash.wasm"]) fromCli.resolve(name);
      let playwright = "absent";
      try { fromCli.resolve("playwright-core"); playwright = "present"; } catch {}
      process.stdout.write(JSON.stringify({ imported, playwright }));
    `;
    const run = await exec(process.execPath, ["--input-type=module", "-e", script], { cwd: elsewhere, env: userEnv, timeout: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { imported: number; playwright: string };
    expect(result.imported).toBeGreaterThan(100);
    expect(result.playwright).toBe("absent");
  }, 60_000);

  test("hitl --version from another directory runs the installed command", async () => {
    const which = await sh("command -v hitl", { cwd: elsewhere, env: userEnv, timeout: 5_000 });
    expect(which.stdout.trim()).toBe(join(prefix, "bin", "hitl"));
    const run = await sh(lines[2]!, { cwd: elsewhere, env: userEnv, timeout: 20_000 });
    outputs.push(run.stdout, run.stderr);
    expect(run).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
  }, 60_000);

  test("hitl setup: the launcher runs the installed signing host, the manifest points at the launcher", async () => {
    const run = await sh(lines[3]!, { cwd: elsewhere, env: userEnv, timeout: 20_000 });
    outputs.push(run.stdout, run.stderr);
    expect(run.code, run.stderr).toBe(0);
    const hostMain = join(prefix, "lib", "node_modules", "@hitl", "signing-host", "dist", "main.js");
    const launcher = join(home, ".config", "hitl", "signing-host", "hitl-signing-host");
    expect(run.stdout).toContain(`Launcher: ~/.config/hitl/signing-host/hitl-signing-host\n  runs ${process.execPath} ${hostMain}\n`);
    expect(run.stdout).toMatch(/chromium {2}wrote {4}~\/\.config\/chromium\/NativeMessagingHosts\/dev\.hitl\.signing_host\.json/);
    const script = readFileSync(launcher, "utf8");
    expect(script).toContain(`exec '${process.execPath}' '${hostMain}' "$@"`);
    expect(script).toContain(`HITL_CONFIG_DIR='${join(home, ".config", "hitl")}'`);
    const manifestText = readFileSync(join(home, ".config", "chromium", "NativeMessagingHosts", "dev.hitl.signing_host.json"), "utf8");
    expect(JSON.parse(manifestText)).toMatchObject({
      path: launcher,
      type: "stdio",
      allowed_origins: [`chrome-extension://${DEFAULT_EXTENSION_ID}/`],
    });
    outputs.push(script, manifestText);
  }, 60_000);

  test("hitl demo in an installed copy says it needs a source checkout, and what to do instead", async () => {
    const run = await sh("hitl demo --auto-approve", { cwd: elsewhere, env: userEnv, timeout: 20_000 });
    outputs.push(run.stdout, run.stderr);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      "hitl: ERR_USAGE: hitl demo runs only in a source checkout (it loads the extension from extension/dist). With an installed hitl, load the packed extension in your browser, then run 'hitl setup' and 'hitl pair' (README: Use it for real).\n",
    );
  }, 30_000);

  test("hitl doctor: the documented failures without a browser, no crash, paths in the prefix and HOME", async () => {
    const run = await sh(lines[4]!, { cwd: elsewhere, env: userEnv, timeout: 30_000 });
    outputs.push(run.stdout, run.stderr);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("✓ host manifest        installed for chromium\n");
    expect(run.stdout).toContain(`✓ host secret          ${home}/.config/hitl/host-secret (yours, mode 0600 or stricter)\n`);
    expect(run.stdout).toContain(`✗ host reachable       nothing listens on 127.0.0.1:${port}\n`);
    expect(run.stdout).toContain(
      `Why the signing host stopped or did not start is in its log, ${home}/.local/state/hitl/signing-host.log.\n`,
    );
    expect(run.stdout).toContain(`✗ approver paired      no approver in ${home}/.config/hitl/approvers.json\n`);
    expect(run.stdout).toContain(`✓ replay store         embedded store in ${home}/.local/state/hitl/nonces accepts single-use nonces\n`);
    expect(run.stdout).toContain("Some checks failed: fix the first ✗ above, then run 'hitl doctor' again.\n");
  }, 60_000);

  test("the launcher starts the installed host, which hitl doctor then reaches (the browser's part, by hand)", async () => {
    const launcher = join(home, ".config", "hitl", "signing-host", "hitl-signing-host");
    // A browser starts the launcher with stdin/stdout as the native-messaging port.
    host = spawn(launcher, [], { cwd: elsewhere, env: userEnv, stdio: ["pipe", "pipe", "pipe"] });
    await waitForPort(port, 10_000);
    const run = await sh("hitl doctor", { cwd: elsewhere, env: userEnv, timeout: 30_000 });
    outputs.push(run.stdout, run.stderr);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(`✓ host reachable       signing host ${VERSION} (pid ${host.pid}) on 127.0.0.1:${port}\n`);
    expect(run.stdout).toContain("✗ extension connected  the host runs, but no extension is connected to it\n");
    // The port closing (the browser quitting) ends the host.
    const exited = new Promise((resolve) => host!.once("exit", resolve));
    host.stdin!.end();
    await exited;
  }, 60_000);

  test("nothing the installed hitl printed or wrote names the checkout", () => {
    expect(outputs.length).toBeGreaterThanOrEqual(10);
    for (const text of outputs) expect(text).not.toContain(REPO);
  });
});
