import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/*
 * fastify, @fastify/rate-limit, ioredis and the Keycloak admin client load only when the server
 * starts: the `hitl` commands that do not serve (request, verify, doctor, --help) never pay for
 * them, and importing @hitl/server does not either. Runs the BUILT CLI and package (`pnpm build`
 * first) in a child process whose module resolution is watched twice: a loader hook sees ES module
 * imports, a wrapper of CommonJS resolution sees require() (the CLI's entry and its bundles are
 * CommonJS, and a require() never reaches the loader hook in Node 20).
 */
const run = promisify(execFile);
const SERVER = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const BIN = fileURLToPath(new URL("../../cli/dist/bin.cjs", import.meta.url));
const HEAVY = /\/(fastify|@fastify\/rate-limit|ioredis|@keycloak\/keycloak-admin-client)\//;
const HOOK = `export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (${HEAVY}.test(result.url)) console.log("LOADED " + result.url);
  return result;
}`;

async function output(body: string, args: string[] = []): Promise<string[]> {
  const program = `import { createRequire, register } from "node:module";
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOK)}));
const Module = createRequire(import.meta.url)("node:module");
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args);
  if (${HEAVY}.test(file)) console.log("LOADED " + file);
  return file;
};
${body}`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", program, ...args], { timeout: 20_000 }).catch(
    (error: { stdout: string }) => ({ stdout: error.stdout }),
  );
  return stdout.split("\n");
}

async function loadedBy(body: string): Promise<string[]> {
  return (await output(body)).filter((line) => line.startsWith("LOADED "));
}

describe("the server's heavy modules load lazily", () => {
  it("importing @hitl/server loads none of them", async () => {
    expect(await loadedBy(`await import(${JSON.stringify(SERVER)});`)).toEqual([]);
  });

  it("`hitl verify --help`, `hitl server --help` and `hitl --help` load none of them", async () => {
    for (const argv of [["verify", "--help"], ["server", "--help"], ["--help"]]) {
      expect(
        await loadedBy(`process.argv.splice(1, 0, "hitl", ...${JSON.stringify(argv)}); await import(${JSON.stringify(BIN)});`),
      ).toEqual([]);
    }
  });

  it("a require() of ioredis is seen (so the CommonJS watch above can see it)", async () => {
    const lines = await loadedBy(`createRequire(${JSON.stringify(SERVER)})("ioredis");`);
    expect(lines.some((line) => /\/ioredis\//.test(line))).toBe(true);
  });

  it("createApp loads fastify (so the watch above can see it)", async () => {
    const lines = await loadedBy(`const s = await import(${JSON.stringify(SERVER)});
const app = await s.createApp({ publicUrl: "https://h", keyLifetimeSeconds: 1, rateLimitPerMinute: 1, redisPrefix: "x:", version: "0", trustLoopbackProxy: false, redis: { defineCommand() {}, on() {} } });
await app.close().catch(() => {});`);
    expect(lines.some((line) => /\/fastify\/fastify\.js$/.test(line))).toBe(true);
  });
});
