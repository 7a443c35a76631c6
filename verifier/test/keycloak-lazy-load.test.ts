import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/*
 * The official admin client (and its kiota dependencies) is loaded only by
 * KeycloakKeyDirectory.open: importing @hitl/verifier (every CLI start-up path) never pays for it.
 * Runs the BUILT package (`pnpm build` first) in a child process whose module resolution is
 * watched by a loader hook.
 */
const run = promisify(execFile);
const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const HOOK = `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/keycloak-admin-client|kiota/.test(result.url)) console.log("LOADED " + result.url);
  return result;
}`;
const PROGRAM = `
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOK)}));
const verifier = await import(${JSON.stringify(DIST)});
console.log("IMPORTED " + typeof verifier.KeycloakKeyDirectory);
if (process.argv[1] === "open") {
  await verifier.KeycloakKeyDirectory.open({ url: "https://id.example.com", clientSecret: "s" });
  console.log("OPENED");
}`;

async function loaded(mode: "import" | "open"): Promise<string[]> {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", PROGRAM, mode], { timeout: 15_000 });
  return stdout.split("\n").filter((line) => line !== "");
}

describe("KeycloakKeyDirectory is loaded lazily", () => {
  it("importing @hitl/verifier loads no Keycloak admin client module", async () => {
    expect(await loaded("import")).toEqual(["IMPORTED function"]);
  });

  it("KeycloakKeyDirectory.open loads it (so the watch above can see it)", async () => {
    const lines = await loaded("open");
    expect(lines[0]).toBe("IMPORTED function");
    expect(lines.some((line) => /^LOADED .*@keycloak\/keycloak-admin-client\/lib\/index\.js$/.test(line))).toBe(true);
    expect(lines).toContain("OPENED"); // the hook thread may print after the main thread
  });
});
