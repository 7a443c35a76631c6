import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import packageJson from "../package.json" with { type: "json" };
import { DEFAULT_EXTENSION_ID, FIREFOX_EXTENSION_ID } from "../src/extension-id.js";
import { HOST_MAIN_PATH } from "../src/host-main-path.js";
import { inspectHostManifests } from "../src/install/inspect-host-manifests.js";
import { installHostManifests } from "../src/install/install-host-manifests.js";
import { launcherScript, parseLauncher } from "../src/install/lib/launcher.js";
import { BROWSERS, manifestLocation } from "../src/install/lib/locations.js";
import { HOST_VERSION } from "../src/version.js";

let home: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "hitl-home-"));
  env = { HOME: home, HITL_CONFIG_DIR: join(home, "hitl-config") };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const launcherFile = () => join(home, "hitl-config", "signing-host", "hitl-signing-host");
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

describe("identity constants", () => {
  it("match extension/extension-id.json and package.json", () => {
    const ids = readJson(new URL("../../extension/extension-id.json", import.meta.url).pathname);
    expect(DEFAULT_EXTENSION_ID).toBe(ids.chromiumId);
    expect(FIREFOX_EXTENSION_ID).toBe(ids.firefoxId);
    expect(HOST_VERSION).toBe(readJson(new URL("../package.json", import.meta.url).pathname).version);
  });
});

describe("manifest locations", () => {
  it.each([
    ["linux", "chrome", ".config/google-chrome/NativeMessagingHosts"],
    ["linux", "chromium", ".config/chromium/NativeMessagingHosts"],
    ["linux", "brave", ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts"],
    ["linux", "edge", ".config/microsoft-edge/NativeMessagingHosts"],
    ["linux", "firefox", ".mozilla/native-messaging-hosts"],
    ["darwin", "chrome", "Library/Application Support/Google/Chrome/NativeMessagingHosts"],
    ["darwin", "chromium", "Library/Application Support/Chromium/NativeMessagingHosts"],
    ["darwin", "brave", "Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts"],
    ["darwin", "edge", "Library/Application Support/Microsoft Edge/NativeMessagingHosts"],
    ["darwin", "firefox", "Library/Application Support/Mozilla/NativeMessagingHosts"],
  ] as const)("%s %s -> ~/%s", (platform, browser, dir) => {
    const location = manifestLocation(browser, { env: { HOME: "/home/u" }, platform });
    expect(location.file).toBe(`/home/u/${dir}/dev.hitl.signing_host.json`);
  });

  it("honours XDG_CONFIG_HOME for Chromium-family browsers on Linux, and --user-data-dir", () => {
    expect(manifestLocation("chrome", { env: { HOME: "/home/u", XDG_CONFIG_HOME: "/xdg" }, platform: "linux" }).dir).toBe(
      "/xdg/google-chrome/NativeMessagingHosts",
    );
    expect(manifestLocation("firefox", { env: { HOME: "/home/u", XDG_CONFIG_HOME: "/xdg" }, platform: "linux" }).dir).toBe(
      "/home/u/.mozilla/native-messaging-hosts",
    );
    expect(manifestLocation("edge", { env: { HOME: "/home/u" }, platform: "darwin", userDataDir: "/tmp/profile" }).dir).toBe(
      "/tmp/profile/NativeMessagingHosts",
    );
  });

  it("refuses Firefox with --user-data-dir and unsupported platforms", () => {
    expect(() => manifestLocation("firefox", { userDataDir: "/tmp/p" })).toThrow(
      expect.objectContaining({
        code: "ERR_USAGE",
        message: "Firefox has no per-profile native-messaging directory; use --user-data-dir with chrome, chromium, brave or edge only.",
      }),
    );
    expect(() => manifestLocation("chrome", { platform: "win32" })).toThrow(
      expect.objectContaining({ code: "ERR_CONFIG", message: expect.stringContaining("Linux and macOS only (this is win32)") }),
    );
  });
});

describe("launcher script", () => {
  it("quotes any path and parses back", () => {
    const script = launcherScript("/opt/no'de dir/bin/node", "/srv/h $HOME/`x`/main.js", "/home/o'k/$x/.config/hitl");
    expect(parseLauncher(script)).toEqual({
      node: "/opt/no'de dir/bin/node",
      hostMain: "/srv/h $HOME/`x`/main.js",
      configDir: "/home/o'k/$x/.config/hitl",
    });
  });

  it("still parses a launcher written before the config dir was pinned", () => {
    const old = `#!/bin/sh\n# hitl signing-host launcher\nexec '/usr/bin/node' '/srv/main.js' "$@"\n`;
    expect(parseLauncher(old)).toEqual({ node: "/usr/bin/node", hostMain: "/srv/main.js" });
  });

  it("runs the given node with the given script, the pinned HITL_CONFIG_DIR, and passes the browser's arguments", () => {
    const dir = mkdtempSync(join(home, "l-"));
    const script = join(dir, "it's a script.mjs");
    writeFileSync(script, "process.stdout.write(JSON.stringify([process.env.HITL_CONFIG_DIR, ...process.argv.slice(2)]))");
    const launcher = join(dir, "launcher");
    writeFileSync(launcher, launcherScript(process.execPath, script, "/pinned/it's config"));
    chmodSync(launcher, 0o755);
    // The browser's environment names another config dir (or none): the pinned one wins.
    const env = { PATH: "/nonexistent", HITL_CONFIG_DIR: "/elsewhere" };
    const output = execFileSync(launcher, ["chrome-extension://abc/", "a b"], { env }).toString();
    expect(JSON.parse(output)).toEqual(["/pinned/it's config", "chrome-extension://abc/", "a b"]);
  });
});

describe("installHostManifests", () => {
  it("writes a 0755 launcher and one manifest per browser, Chromium by origin, Firefox by add-on id", async () => {
    const result = await installHostManifests({ browsers: BROWSERS, env, platform: "linux" });
    expect(result.launcher).toEqual({ path: launcherFile(), node: process.execPath, hostMain: HOST_MAIN_PATH, action: "written" });
    expect(statSync(launcherFile()).mode & 0o777).toBe(0o755);
    expect(parseLauncher(readFileSync(launcherFile(), "utf8"))).toEqual({
      node: process.execPath,
      hostMain: HOST_MAIN_PATH,
      configDir: env.HITL_CONFIG_DIR,
    });
    expect(result.hostSecret).toEqual({ path: join(env.HITL_CONFIG_DIR!, "host-secret"), action: "created" });
    expect(statSync(join(env.HITL_CONFIG_DIR!, "host-secret")).mode & 0o777).toBe(0o600);
    expect(result.manifests.map((m) => [m.browser, m.action])).toEqual(BROWSERS.map((b) => [b, "written"]));

    const chrome = readJson(join(home, ".config/google-chrome/NativeMessagingHosts/dev.hitl.signing_host.json"));
    expect(chrome).toEqual({
      name: "dev.hitl.signing_host",
      description: "hitl signing host: relays approval requests from 127.0.0.1 to the hitl extension",
      path: launcherFile(),
      type: "stdio",
      allowed_origins: ["chrome-extension://gdikjmbmddjjemjnooacmbhlponkepgb/"],
    });
    const firefox = readJson(join(home, ".mozilla/native-messaging-hosts/dev.hitl.signing_host.json"));
    expect(firefox.allowed_extensions).toEqual(["approver@hitl.dev"]);
    expect(firefox.allowed_origins).toBeUndefined();
    expect(statSync(join(home, ".mozilla/native-messaging-hosts/dev.hitl.signing_host.json")).mode & 0o777).toBe(0o644);
  });

  it("writes to <user-data-dir>/NativeMessagingHosts/ with a custom extension id", async () => {
    const profile = join(home, "profile");
    const id = "abcdefghijklmnopabcdefghijklmnop";
    const result = await installHostManifests({
      browsers: ["chromium", "chrome"],
      extensionId: id,
      userDataDir: profile,
      env,
      platform: "linux",
    });
    expect(result.manifests).toEqual([
      {
        browser: "chromium",
        path: join(profile, "NativeMessagingHosts/dev.hitl.signing_host.json"),
        action: "written",
        allowed: `chrome-extension://${id}/`,
      },
    ]);
    expect(readJson(result.manifests[0]!.path).allowed_origins).toEqual([`chrome-extension://${id}/`]);
    expect(existsSync(join(home, ".config"))).toBe(false);
  });

  it("with onlyInstalled, skips browsers this user never ran", async () => {
    mkdirSync(join(home, ".config/chromium"), { recursive: true });
    const result = await installHostManifests({ browsers: BROWSERS, onlyInstalled: true, env, platform: "linux" });
    expect(result.manifests.filter((m) => m.action === "written").map((m) => m.browser)).toEqual(["chromium"]);
    expect(result.manifests.find((m) => m.browser === "firefox")).toMatchObject({
      action: "skipped",
      reason: `${join(home, ".mozilla")} does not exist (not used by this user); name it with --browser firefox to install anyway`,
    });
    expect(existsSync(join(home, ".mozilla"))).toBe(false);
  });

  it("refuses bad ids, relative paths and an unbuilt host before writing anything", async () => {
    await expect(installHostManifests({ browsers: ["chrome"], extensionId: "not-an-id", env })).rejects.toMatchObject({
      code: "ERR_USAGE",
      message:
        '"not-an-id" is not a Chromium extension id: it must be 32 letters a-p, as shown on chrome://extensions with developer mode on.',
    });
    await expect(installHostManifests({ browsers: ["firefox"], firefoxId: "no spaces allowed", env })).rejects.toMatchObject({
      code: "ERR_USAGE",
    });
    await expect(
      installHostManifests({ browsers: ["chrome"], hostMain: join(home, "missing.js"), env, platform: "linux" }),
    ).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: `The signing host is not built (${join(home, "missing.js")} is missing); run \`pnpm build\` first, then hitl setup again.`,
    });
    await expect(installHostManifests({ browsers: ["chrome"], nodePath: "node", env, platform: "linux" })).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: "The node path must be absolute, got node.",
    });
    await expect(installHostManifests({ browsers: ["chrome", "firefox"], userDataDir: join(home, "p"), env })).rejects.toMatchObject({
      code: "ERR_USAGE",
    });
    expect(existsSync(join(home, "hitl-config"))).toBe(false);
    expect(existsSync(join(home, "p"))).toBe(false);
  });

  it("uninstalls manifests, and the launcher once nothing points at it", async () => {
    await installHostManifests({ browsers: ["chrome", "firefox"], env, platform: "linux" });
    const partial = await installHostManifests({ browsers: ["chrome"], uninstall: true, env, platform: "linux" });
    expect(partial.manifests.map((m) => m.action)).toEqual(["removed"]);
    expect(partial.launcher.action).toBe("kept");
    expect(existsSync(launcherFile())).toBe(true);
    const rest = await installHostManifests({ browsers: ["chrome", "firefox"], uninstall: true, env, platform: "linux" });
    expect(rest.manifests.map((m) => m.action)).toEqual(["absent", "removed"]);
    expect(rest.launcher.action).toBe("removed");
    expect(existsSync(launcherFile())).toBe(false);
  });
});

describe("inspectHostManifests", () => {
  it("reports installed, missing and broken manifests with a remedy", async () => {
    await installHostManifests({ browsers: ["chrome", "firefox", "brave"], env, platform: "linux" });
    writeFileSync(join(home, ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts/dev.hitl.signing_host.json"), "{broken");
    const reports = await inspectHostManifests({ env, platform: "linux" });
    const byBrowser = Object.fromEntries(reports.map((r) => [r.browser, r]));
    expect(byBrowser.chrome).toEqual({
      browser: "chrome",
      path: join(home, ".config/google-chrome/NativeMessagingHosts/dev.hitl.signing_host.json"),
      browserFound: true,
      exists: true,
      valid: true,
      pointsTo: launcherFile(),
      runs: { node: process.execPath, hostMain: HOST_MAIN_PATH, configDir: env.HITL_CONFIG_DIR },
    });
    expect(byBrowser.firefox).toMatchObject({ exists: true, valid: true });
    expect(byBrowser.brave).toMatchObject({
      exists: true,
      valid: false,
      problem: "The manifest is not valid JSON; run `hitl setup --browser brave`.",
    });
    expect(byBrowser.edge).toEqual({
      browser: "edge",
      path: join(home, ".config/microsoft-edge/NativeMessagingHosts/dev.hitl.signing_host.json"),
      browserFound: false,
      exists: false,
      valid: false,
      problem: `No host manifest at ${join(home, ".config/microsoft-edge/NativeMessagingHosts/dev.hitl.signing_host.json")}; run \`hitl setup --browser edge\`.`,
    });
  });

  it("catches a wrong extension id, a removed launcher and a moved host script", async () => {
    const profile = join(home, "profile");
    await installHostManifests({ browsers: ["chromium"], userDataDir: profile, env, platform: "linux" });
    const otherId = await inspectHostManifests({
      userDataDir: profile,
      browsers: ["chromium"],
      extensionId: "abcdefghijklmnopabcdefghijklmnop",
      env,
      platform: "linux",
    });
    expect(otherId[0]).toMatchObject({
      valid: false,
      problem: `The manifest's allowed_origins does not include chrome-extension://abcdefghijklmnopabcdefghijklmnop/; run \`hitl setup --browser chromium --user-data-dir ${profile}\`.`,
    });

    const fakeMain = join(home, "main.js");
    writeFileSync(fakeMain, "");
    await installHostManifests({ browsers: ["chromium"], userDataDir: profile, hostMain: fakeMain, env, platform: "linux" });
    rmSync(fakeMain);
    expect((await inspectHostManifests({ userDataDir: profile, env, platform: "linux" }))[0]).toMatchObject({
      valid: false,
      problem: expect.stringContaining(`The launcher runs ${fakeMain}, which is missing (hitl moved or not built?)`),
    });

    rmSync(launcherFile());
    expect((await inspectHostManifests({ userDataDir: profile, env, platform: "linux" }))[0]).toMatchObject({
      valid: false,
      pointsTo: launcherFile(),
      problem: expect.stringContaining(`The launcher ${launcherFile()} is missing or not executable`),
    });
  });

  it("catches a launcher that pins another config dir (host and CLI would not share the host secret), or none", async () => {
    const profile = join(home, "profile");
    await installHostManifests({ browsers: ["chromium"], userDataDir: profile, env, platform: "linux" });
    const elsewhere = { ...env, HITL_CONFIG_DIR: join(home, "elsewhere") };
    // The launcher is looked for in the config dir of `env`; only the CLI side differs.
    const [report] = await inspectHostManifests({ userDataDir: profile, env: elsewhere, platform: "linux" });
    expect(report).toMatchObject({
      valid: false,
      problem: `The launcher starts the host with the config dir ${env.HITL_CONFIG_DIR}, but hitl here uses ${join(home, "elsewhere")} (HITL_CONFIG_DIR), so they would not share the host secret; run \`hitl setup --browser chrome --user-data-dir ${profile}\`.`,
    });

    writeFileSync(launcherFile(), `#!/bin/sh\nexec '${process.execPath}' '${HOST_MAIN_PATH}' "$@"\n`);
    expect((await inspectHostManifests({ userDataDir: profile, env, platform: "linux" }))[0]).toMatchObject({
      valid: false,
      problem: expect.stringContaining(
        "The launcher was written by an older `hitl setup`: it does not pin the config dir that holds the host secret",
      ),
    });
  });
});

describe("the launcher really starts the host", () => {
  it("answers host.hello when started the way a browser starts it", async () => {
    const profile = join(home, "profile");
    await installHostManifests({ browsers: ["chromium"], userDataDir: profile, env, platform: "linux" });
    const manifest = readJson(join(profile, "NativeMessagingHosts/dev.hitl.signing_host.json"));
    const { freePort } = await import("./lib/browser-side.js");
    const port = await freePort();
    // stdin is empty and closed at once: the host says hello, then exits 0 (port closed). No
    // HITL_CONFIG_DIR here (a desktop session's browser): the launcher pins the one setup used,
    // so the host finds the host secret.
    const run = spawnSync(manifest.path, [`chrome-extension://${DEFAULT_EXTENSION_ID}/`], {
      env: { PATH: "/nonexistent", HOME: home, HITL_PORT: String(port), HITL_STATE_DIR: join(home, "state") },
      input: "",
      timeout: 15_000,
    });
    expect(run.status).toBe(0);
    const length = run.stdout.readUInt32LE(0);
    expect(JSON.parse(run.stdout.subarray(4, 4 + length).toString("utf8"))).toMatchObject({ type: "host.hello", port });
    expect(run.stdout.length).toBe(4 + length);
  });
});

describe("package entry", () => {
  it("does not load fastify until a server is created", () => {
    const probe = `
      import { createRequire } from "node:module";
      const m = await import(${JSON.stringify(new URL("../dist/index.js", import.meta.url).href)});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes("/fastify/"));
      const before = loaded();
      await m.createSigningServer({ port: 0, extension: new m.ExtensionPort({ send() {} }), hostSecret: new Uint8Array(32) });
      process.stdout.write(JSON.stringify({ before, after: loaded(), exports: typeof m.runSigningHost }));
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", probe]).toString();
    expect(JSON.parse(out)).toEqual({ before: false, after: true, exports: "function" });
  });

  it("the installer is @hitl/signing-host/install, not part of the host's root entry", async () => {
    const root = await import("../src/index.js");
    const install = await import("../src/install/index.js");
    expect(Object.keys(install)).toEqual(expect.arrayContaining(["installHostManifests", "inspectHostManifests", "BROWSERS"]));
    expect(Object.keys(install).filter((name) => name in root)).toEqual([]);
    expect(packageJson.exports["./install"]).toEqual({ types: "./dist/install/index.d.ts", default: "./dist/install/index.js" });
  });
});
