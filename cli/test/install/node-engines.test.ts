/*
 * The README promises Node.js >= 20.19 (the root package.json's engines). Every package the
 * lockfile installs must accept that version, or `pnpm install` warns (and npm, for a user's
 * global install, prints EBADENGINE).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import semver from "semver";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

describe("Node.js version", () => {
  const promised = (JSON.parse(readFileSync(root("package.json"), "utf8")) as { engines: { node: string } }).engines.node;
  const oldest = semver.minVersion(promised)!.version;

  test("every package of the workspace promises the same Node.js as the README", () => {
    expect(promised).toBe(">=20.19");
    for (const name of ["verifier", "signing-host", "sdk", "server", "cli"]) {
      const pkg = JSON.parse(readFileSync(root(`${name}/package.json`), "utf8")) as { engines?: { node?: string } };
      expect(pkg.engines?.node, name).toBe(promised);
    }
  });

  test("every package in pnpm-lock.yaml accepts Node.js 20.19.0, the oldest the README names", () => {
    expect(oldest).toBe("20.19.0");
    const lock = parse(readFileSync(root("pnpm-lock.yaml"), "utf8")) as { packages: Record<string, { engines?: { node?: string } }> };
    const refusing = Object.entries(lock.packages)
      .filter(([, entry]) => entry.engines?.node !== undefined && !semver.satisfies(oldest, entry.engines.node))
      .map(([name, entry]) => `${name} wants node ${entry.engines!.node}`);
    expect(refusing).toEqual([]);
    expect(Object.keys(lock.packages).length).toBeGreaterThan(100);
  });
});
