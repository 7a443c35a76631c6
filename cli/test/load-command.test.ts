import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

// The built module (CommonJS, as dist/bin.cjs requires it; vitest runs sources as ES modules).
const { BUILD_INFO, isBundleFresh, loadCommand } = createRequire(import.meta.url)(
  "../dist/lib/load-command.cjs",
) as typeof import("../src/lib/load-command.cjs");

/*
 * bin.cts runs a command from dist/bundle/ only while no tsc build is newer than the bundle, so
 * `pnpm exec tsc -b` alone can never leave `hitl` running stale code. Real files, real mtimes.
 */

let root: string;
let dist: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "hitl-load-command-"));
  dist = join(root, "cli", "dist");
  mkdirSync(join(dist, "bundle"), { recursive: true });
  mkdirSync(join(root, "verifier", "dist"), { recursive: true });
  mkdirSync(join(root, "sdk", "dist"), { recursive: true });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A file with its modification time set to `seconds` since the epoch. */
function file(path: string, seconds: number, text = ""): URL {
  writeFileSync(path, text);
  utimesSync(path, seconds, seconds);
  return pathToFileURL(path);
}

const BUNDLED = "exports.run = async () => 42;\nexports.reportAndExitCode = () => 43;\n";

describe("isBundleFresh", () => {
  it("is fresh when the bundle is at least as new as every build-info file that exists", () => {
    const bundle = file(join(dist, "bundle", "request.cjs"), 2_000);
    const cliInfo = file(join(dist, ".tsbuildinfo"), 1_000);
    const verifierInfo = file(join(root, "verifier", "dist", ".tsbuildinfo"), 2_000);
    const missing = pathToFileURL(join(root, "nowhere", ".tsbuildinfo"));
    expect(isBundleFresh(bundle, [cliInfo, verifierInfo, missing])).toBe(true);
  });

  it("is stale once any tsc build ran after it, and absent when there is no bundle", () => {
    const bundle = file(join(dist, "bundle", "request.cjs"), 2_000);
    const cliInfo = file(join(dist, ".tsbuildinfo"), 1_000);
    const verifierInfo = file(join(root, "verifier", "dist", ".tsbuildinfo"), 2_001);
    expect(isBundleFresh(bundle, [cliInfo, verifierInfo])).toBe(false);
    expect(isBundleFresh(pathToFileURL(join(dist, "bundle", "pair.cjs")), [cliInfo])).toBe(false);
  });
});

describe("loadCommand", () => {
  const unbundled = async () => ({ run: async () => 7 });

  it("runs the bundle while it is current, with the bundle's own reporter", async () => {
    file(join(dist, "bundle", "request.cjs"), 2_000, BUNDLED);
    file(join(dist, ".tsbuildinfo"), 1_000);
    file(join(root, "verifier", "dist", ".tsbuildinfo"), 1_500);
    const loaded = await loadCommand("request", unbundled, pathToFileURL(`${dist}/`));
    expect(await loaded.run([])).toBe(42);
    expect(loaded.reportAndExitCode(new Error("x"))).toBe(43);
  });

  it("falls back to tsc's modules when the verifier was rebuilt after the bundle", async () => {
    file(join(dist, "bundle", "request.cjs"), 2_000, BUNDLED);
    file(join(dist, ".tsbuildinfo"), 1_000);
    file(join(root, "verifier", "dist", ".tsbuildinfo"), 3_000);
    const loaded = await loadCommand("request", unbundled, pathToFileURL(`${dist}/`));
    expect(await loaded.run([])).toBe(7);
    // The reporter of tsc's own graph: one line on stderr, exit 3 for an unexpected error.
    const write = process.stderr.write;
    let written = "";
    process.stderr.write = ((chunk: string) => {
      written += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(loaded.reportAndExitCode(new Error("boom"))).toBe(3);
    } finally {
      process.stderr.write = write;
    }
    expect(written).toMatch(/^hitl: ERR_INTERNAL: boom\n/);
  });

  it("falls back to tsc's modules when the SDK was rebuilt after the bundle", async () => {
    file(join(dist, "bundle", "request.js"), 2_000, BUNDLED);
    file(join(dist, ".tsbuildinfo"), 1_000);
    file(join(root, "verifier", "dist", ".tsbuildinfo"), 1_500);
    file(join(root, "sdk", "dist", ".tsbuildinfo"), 3_000);
    const loaded = await loadCommand("request", unbundled, pathToFileURL(`${dist}/`));
    expect(await loaded.run([])).toBe(7);
  });

  it("falls back to tsc's modules when the command has no bundle", async () => {
    file(join(dist, ".tsbuildinfo"), 1_000);
    const loaded = await loadCommand("doctor", unbundled, pathToFileURL(`${dist}/`));
    expect(await loaded.run([])).toBe(7);
  });
});

describe("BUILD_INFO", () => {
  it("names the tsc build of every workspace package the built bundles hold code from (a bundle is stale when any of them is rebuilt)", () => {
    const bundleDir = new URL("../dist/bundle/", import.meta.url);
    const packages = new Set<string>();
    for (const name of readdirSync(bundleDir).filter((file) => file.endsWith(".cjs"))) {
      // esbuild heads each module's code with its path relative to cli/: dist/..., ../sdk/dist/...
      for (const [, from] of readFileSync(new URL(name, bundleDir), "utf8").matchAll(/^\/\/ (dist|\.\.\/[a-z-]+\/dist)\//gm)) {
        packages.add(from === "dist" ? "cli" : from!.split("/")[1]!);
      }
    }
    const covered = BUILD_INFO.map((path) => (path === ".tsbuildinfo" ? "cli" : path.split("/")[2]!));
    expect([...packages].sort()).toEqual(["cli", "sdk", "verifier"]);
    expect(covered.sort()).toEqual([...packages].sort());
  });
});
