import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/*
 * What installing @hitl/sdk pulls in: its package.json dependency lists, walked recursively
 * through node_modules the way Node resolves them (the package's own node_modules, then each
 * parent's). Optional and peer dependencies count too: an application that uses Redis installs them.
 */

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const BROWSER_AUTOMATION = /^(@[^/]+\/)?(playwright|puppeteer|selenium|webdriver)/i;

type Lists = "dependencies" | "optionalDependencies" | "peerDependencies" | "devDependencies";
const RUNTIME: readonly Lists[] = ["dependencies", "optionalDependencies", "peerDependencies"];

function resolvePackageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name, "package.json");
    if (existsSync(candidate)) return realpathSync(dirname(candidate));
    if (dirname(dir) === dir) return undefined;
  }
}

/** The names of every package reachable from `root`; `first` are the lists read at the root only. */
function closure(root: string, first: readonly Lists[] = RUNTIME): Set<string> {
  const names = new Set<string>();
  const visited = new Set<string>();
  const missing: string[] = [];
  const visit = (dir: string, lists: readonly Lists[]): void => {
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Partial<Record<Lists, Record<string, string>>>;
    for (const list of lists) {
      for (const name of Object.keys(manifest[list] ?? {})) {
        const at = resolvePackageDir(name, dir);
        // An optional peer nobody installed is not part of the closure; a missing hard dependency is a broken install.
        if (at === undefined) {
          if (list === "dependencies") missing.push(`${name} (from ${dir})`);
          continue;
        }
        names.add(name);
        if (visited.has(at)) continue;
        visited.add(at);
        visit(at, RUNTIME);
      }
    }
  };
  visit(root, first);
  if (missing.length > 0) throw new Error(`unresolvable dependencies: ${missing.join(", ")}`);
  return names;
}

describe("@hitl/sdk runtime dependency closure", () => {
  it("contains no browser automation package (playwright*, puppeteer*, selenium*, webdriver*)", () => {
    const names = [...closure(join(REPO, "sdk"))];
    // The walk really ran: the verifier and, through it, ioredis are in it.
    expect(names).toContain("@hitl/verifier");
    expect(names).toContain("ioredis");
    expect(names.filter((name) => BROWSER_AUTOMATION.test(name))).toEqual([]);
  });

  it("the same walk does find playwright-core where it is: @hitl/cli's dev dependencies (the demo)", () => {
    const names = [...closure(join(REPO, "cli"), ["devDependencies"])];
    expect(names.filter((name) => BROWSER_AUTOMATION.test(name))).toEqual(["playwright-core"]);
  });

  it("@hitl/cli's runtime closure has none either", () => {
    const names = [...closure(join(REPO, "cli"))];
    expect(names).toContain("@hitl/sdk");
    expect(names.filter((name) => BROWSER_AUTOMATION.test(name))).toEqual([]);
  });
});
