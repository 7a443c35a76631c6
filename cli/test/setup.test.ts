import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readTeamConfig } from "@hitl/sdk/internal";
import { HOST_MAIN_PATH } from "@hitl/signing-host";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseSetupArgs, setup } from "../src/commands/setup.js";

/** The command in process, failures thrown (the real process is run below). */
const run = (argv: string[], env: NodeJS.ProcessEnv) => setup(parseSetupArgs(argv), env);

const BIN = fileURLToPath(new URL("../dist/bin.cjs", import.meta.url));

let home: string;
let env: NodeJS.ProcessEnv;
let stdout: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "hitl-setup-"));
  env = { HOME: home, HITL_CONFIG_DIR: join(home, "config"), PATH: process.env.PATH ?? "" };
  stdout = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(home, { recursive: true, force: true });
});

const manifestIn = (dir: string) => join(dir, "dev.hitl.signing_host.json");
const launcher = () => join(home, "config", "signing-host", "hitl-signing-host");

describe("hitl setup arguments", () => {
  it("defaults to all browsers (skipping unused ones), or chromium with --user-data-dir", () => {
    expect(parseSetupArgs([])).toEqual({
      help: false,
      local: false,
      browsers: ["chrome", "chromium", "brave", "edge", "firefox"],
      onlyInstalled: true,
      uninstall: false,
    });
    expect(parseSetupArgs(["--user-data-dir", "/p"])).toEqual({
      help: false,
      local: false,
      browsers: ["chromium"],
      onlyInstalled: false,
      uninstall: false,
      userDataDir: "/p",
    });
    expect(parseSetupArgs(["--browser", "all", "--user-data-dir", "/p"]).browsers).toEqual(["chrome", "chromium", "brave", "edge"]);
    expect(parseSetupArgs(["--browser", "firefox", "--browser", "brave", "--browser", "firefox", "--uninstall"])).toEqual({
      help: false,
      local: false,
      browsers: ["firefox", "brave"],
      onlyInstalled: false,
      uninstall: true,
    });
  });

  it.each([
    [
      ["--browser", "safari"],
      "--browser must be one of chrome, chromium, brave, edge, firefox, all, got \"safari\". Run 'hitl setup --help' for the options.",
    ],
    [["--browsers", "chrome"], "Unknown option '--browsers'. Run 'hitl setup --help' for the options."],
    [["chrome"], "Unexpected argument 'chrome'. This command does not take positional arguments. Run 'hitl setup --help' for the options."],
    [["--user-data-dir", ""], "--user-data-dir must not be empty. Run 'hitl setup --help' for the options."],
    [["--uninstall=yes"], "Option '--uninstall' does not take an argument. Run 'hitl setup --help' for the options."],
  ])("refuses %j with ERR_USAGE", (argv, message) => {
    expect(() => parseSetupArgs(argv)).toThrow(expect.objectContaining({ name: "HitlError", code: "ERR_USAGE", message }));
  });
});

describe("hitl setup", () => {
  it("installs for a custom profile and says what it wrote where", async () => {
    const profile = join(home, "profile");
    expect(await run(["--user-data-dir", profile], env)).toBe(0);
    const file = manifestIn(join(profile, "NativeMessagingHosts"));
    const manifest = JSON.parse(readFileSync(file, "utf8"));
    expect(manifest).toMatchObject({
      name: "dev.hitl.signing_host",
      type: "stdio",
      path: launcher(),
      allowed_origins: ["chrome-extension://gdikjmbmddjjemjnooacmbhlponkepgb/"],
    });
    expect(statSync(launcher()).mode & 0o777).toBe(0o755);
    const secretFile = join(home, "config", "host-secret");
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "config")).mode & 0o777).toBe(0o700);
    expect(readFileSync(secretFile, "latin1")).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(stdout).toBe(
      [
        "Host secret: ~/config/host-secret (created, mode 0600)",
        "Launcher: ~/config/signing-host/hitl-signing-host",
        `  runs ${process.execPath} ${HOST_MAIN_PATH}`,
        "Native-messaging host manifests (dev.hitl.signing_host):",
        "  chromium  wrote    ~/profile/NativeMessagingHosts/dev.hitl.signing_host.json  (allows chrome-extension://gdikjmbmddjjemjnooacmbhlponkepgb/)",
        "",
        "Restart the browser, or reload the hitl extension, so it starts the signing host.",
        "",
      ].join("\n"),
    );
  });

  it("keeps a valid host secret on a second run (a running host and the CLI keep agreeing), and pins the config dir in the launcher", async () => {
    const profile = join(home, "profile");
    expect(await run(["--user-data-dir", profile], env)).toBe(0);
    const secretFile = join(home, "config", "host-secret");
    const first = readFileSync(secretFile, "latin1");
    stdout = "";
    expect(await run(["--user-data-dir", profile], env)).toBe(0);
    expect(readFileSync(secretFile, "latin1")).toBe(first);
    expect(stdout.split("\n")[0]).toBe("Host secret: ~/config/host-secret (kept)");
    expect(readFileSync(launcher(), "utf8")).toContain(`HITL_CONFIG_DIR='${join(home, "config")}'\nexport HITL_CONFIG_DIR\n`);
  });

  it("refuses to create the host secret in a config dir open to others, and writes nothing", async () => {
    const config = join(home, "config");
    mkdirSync(config, { recursive: true });
    chmodSync(config, 0o755);
    const profile = join(home, "profile");
    await expect(run(["--user-data-dir", profile], env)).rejects.toMatchObject({
      code: "ERR_HOST_SECRET_INSECURE",
      message: `The hitl host secret ${join(config, "host-secret")} is in ${config}, which is open to group or others (mode 755), so another user could read or replace it and pass for your signing host; it is refused. Run \`chmod 700 ${config}\`.`,
    });
    expect(existsSync(join(config, "host-secret"))).toBe(false);
    expect(existsSync(launcher())).toBe(false);
  });

  it("with --browser all, writes only where the browser was used; names skipped ones", async () => {
    if (process.platform !== "linux") throw new Error("these paths are the Linux ones; this suite runs on Linux");
    mkdirSync(join(home, ".mozilla"), { recursive: true });
    expect(await run(["--browser", "all", "--extension-id", "abcdefghijklmnopabcdefghijklmnop"], env)).toBe(0);
    expect(JSON.parse(readFileSync(manifestIn(join(home, ".mozilla/native-messaging-hosts")), "utf8")).allowed_extensions).toEqual([
      "approver@hitl.dev",
    ]);
    expect(existsSync(join(home, ".config/google-chrome"))).toBe(false);
    expect(stdout).toContain(
      "  firefox   wrote    ~/.mozilla/native-messaging-hosts/dev.hitl.signing_host.json  (allows approver@hitl.dev)",
    );
    expect(stdout).toContain(`  chrome    skipped  ~/.config/google-chrome/NativeMessagingHosts/dev.hitl.signing_host.json\n`);
    expect(stdout).toContain(
      `(${join(home, ".config/google-chrome")} does not exist (not used by this user); name it with --browser chrome to install anyway)`,
    );
  });

  it("fails with ERR_CONFIG when no browser profile exists and none was named", async () => {
    await expect(run([], env)).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message:
        "No browser profile of this user was found, so nothing was installed. Name the browser with --browser chrome|chromium|brave|edge|firefox, or use --user-data-dir DIR for a custom profile.",
    });
    expect(existsSync(launcher())).toBe(false);
  });

  it("refuses a malformed extension id and Firefox with --user-data-dir", async () => {
    await expect(run(["--browser", "chrome", "--extension-id", "xyz"], env)).rejects.toMatchObject({
      code: "ERR_USAGE",
      message: '"xyz" is not a Chromium extension id: it must be 32 letters a-p, as shown on chrome://extensions with developer mode on.',
    });
    await expect(run(["--browser", "firefox", "--user-data-dir", join(home, "p")], env)).rejects.toMatchObject({
      code: "ERR_USAGE",
      message: "Firefox has no per-profile native-messaging directory; use --user-data-dir with chrome, chromium, brave or edge only.",
    });
  });

  it("uninstalls", async () => {
    await run(["--browser", "chrome", "--browser", "edge"], env);
    stdout = "";
    expect(await run(["--browser", "chrome", "--browser", "edge", "--uninstall"], env)).toBe(0);
    expect(existsSync(join(home, ".config/google-chrome/NativeMessagingHosts/dev.hitl.signing_host.json"))).toBe(false);
    expect(existsSync(launcher())).toBe(false);
    expect(stdout).toBe(
      [
        "Removed the launcher ~/config/signing-host/hitl-signing-host.",
        "Native-messaging host manifests:",
        "  chrome  removed  ~/.config/google-chrome/NativeMessagingHosts/dev.hitl.signing_host.json",
        "  edge    removed  ~/.config/microsoft-edge/NativeMessagingHosts/dev.hitl.signing_host.json",
        "",
      ].join("\n"),
    );
  });

  it("runs as a real `hitl setup` process with --help and with a bad flag", () => {
    const help = spawnSync(process.execPath, [BIN, "setup", "--help"], { env, encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: hitl setup [options]");
    const bad = spawnSync(process.execPath, [BIN, "setup", "--browser", "netscape"], { env, encoding: "utf8" });
    expect(bad.status).toBe(3);
    expect(bad.stderr).toBe(
      "hitl: ERR_USAGE: --browser must be one of chrome, chromium, brave, edge, firefox, all, got \"netscape\". Run 'hitl setup --help' for the options.\n",
    );
    const ok = spawnSync(process.execPath, [BIN, "setup", "--user-data-dir", join(home, "profile")], { env, encoding: "utf8" });
    expect(ok.status).toBe(0);
    expect(existsSync(join(home, "profile", "NativeMessagingHosts", "dev.hitl.signing_host.json"))).toBe(true);
  });
});

describe("hitl setup --team / --local (the switch between modes)", () => {
  it("writes team.json (0600) and the client secret (0600, not in team.json); --local removes both", async () => {
    const secretFile = join(home, "secret.txt");
    writeFileSync(secretFile, "s3cr3t-s3cr3t-s3cr3t-1234\n");
    const code = await run(
      ["--team", "https://hitl.example.com/", "--keycloak", "https://id.example.com", "--client-secret-file", secretFile],
      env,
    );
    expect(code).toBe(0);
    const configDir = join(home, "config");
    const config = JSON.parse(readFileSync(join(configDir, "team.json"), "utf8"));
    expect(config).toEqual({
      v: 1,
      server: "https://hitl.example.com",
      keycloak: "https://id.example.com",
      realm: "hitl",
      clientId: "hitl-verifier",
    });
    expect(statSync(join(configDir, "team.json")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(configDir, "team-client-secret"), "utf8")).toBe("s3cr3t-s3cr3t-s3cr3t-1234\n");
    expect(statSync(join(configDir, "team-client-secret")).mode & 0o777).toBe(0o600);
    expect(stdout).toContain("Team mode:");
    expect(stdout).not.toContain("s3cr3t");
    expect(readTeamConfig(configDir)).toEqual(config);

    expect(await run(["--local"], env)).toBe(0);
    expect(existsSync(join(configDir, "team.json"))).toBe(false);
    expect(existsSync(join(configDir, "team-client-secret"))).toBe(false);
    expect(readTeamConfig(configDir)).toBeUndefined();
  });

  it("refuses plain http to another host, a URL with credentials, --team without --keycloak, and team flags without --team", () => {
    const refused = (argv: string[], message: RegExp) => {
      expect(() => parseSetupArgs(argv)).toThrow(message);
      try {
        parseSetupArgs(argv);
      } catch (error) {
        expect((error as { code: string }).code).toBe("ERR_USAGE");
      }
    };
    refused(
      ["--team", "http://hitl.example.com", "--keycloak", "https://id.example.com"],
      /--team must use https \(plain http only to 127\.0\.0\.1 or localhost\)/,
    );
    refused(
      ["--team", "https://u:p@hitl.example.com", "--keycloak", "https://id.example.com"],
      /--team must not contain credentials, a query or a fragment/,
    );
    refused(["--team", "https://hitl.example.com"], /--team needs --keycloak URL/);
    refused(["--keycloak", "https://id.example.com"], /--keycloak only goes with --team URL/);
    expect(parseSetupArgs(["--team", "http://127.0.0.1:8443", "--keycloak", "http://localhost:8080"]).team).toEqual({
      server: "http://127.0.0.1:8443",
      keycloak: "http://localhost:8080",
      realm: "hitl",
      clientId: "hitl-verifier",
    });
  });

  it("a damaged team.json is ERR_TEAM_CONFIG_INVALID, never a silent fall-back to local mode", () => {
    const configDir = join(home, "config");
    mkdirSync(configDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(configDir, "team.json"),
      JSON.stringify({ v: 1, server: "http://evil.example", keycloak: "https://id.example.com", realm: "hitl", clientId: "x" }),
    );
    expect(() => readTeamConfig(configDir)).toThrow(/server must use https/);
    writeFileSync(join(configDir, "team.json"), "{");
    try {
      readTeamConfig(configDir);
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe("ERR_TEAM_CONFIG_INVALID");
      expect((error as Error).message).toMatch(/team\.json: is not JSON\. Run 'hitl setup --team URL --keycloak URL' again\./);
    }
  });
});
