import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import extensionId from "../extension-id.json" with { type: "json" };
import pkg from "../package.json" with { type: "json" };

const run = promisify(execFile);
const EXTENSION = fileURLToPath(new URL("../", import.meta.url));
const WEB_EXT = join(EXTENSION, "node_modules", ".bin", "web-ext");
// No registry look-up for a newer web-ext: the lint runs offline.
const OFFLINE_ENV = { ...process.env, NO_UPDATE_NOTIFIER: "1" };

/** Both known warnings: data_collection_permissions is newer than Firefox 129, which ignores it. */
const KNOWN_LINT_WARNINGS = ["KEY_FIREFOX_ANDROID_UNSUPPORTED_BY_MIN_VERSION", "KEY_FIREFOX_UNSUPPORTED_BY_MIN_VERSION"];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

async function archiveFiles(path: string): Promise<{ files: string[]; manifest: Record<string, unknown> }> {
  const archive = await JSZip.loadAsync(readFileSync(path));
  const files = Object.values(archive.files)
    .filter((entry) => !entry.dir)
    .map((entry) => entry.name)
    .sort();
  const manifest = JSON.parse(await archive.file("manifest.json")!.async("string")) as Record<string, unknown>;
  return { files, manifest };
}

describe("store packages (pnpm --filter @hitl/extension package)", () => {
  let out: string;
  let stdout: string;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "hitl-store-test-"));
    ({ stdout } = await run(process.execPath, [join(EXTENSION, "scripts", "package.mjs"), "--out", out], { env: OFFLINE_ENV }));
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("the Chromium zip is the Chromium build with every file, and without the development key", async () => {
    const built = JSON.parse(readFileSync(join(EXTENSION, "dist", "chromium", "manifest.json"), "utf8")) as Record<string, unknown>;
    const { files, manifest } = await archiveFiles(join(out, `hitl-chromium-${pkg.version}.zip`));
    expect(files).toEqual(filesUnder(join(EXTENSION, "dist", "chromium")));
    expect(built.key).toBe(extensionId.manifestKey);
    const { key: _key, ...withoutKey } = built;
    expect(manifest).toEqual(withoutKey);
    expect(manifest).toMatchObject({ manifest_version: 3, version: pkg.version, minimum_chrome_version: "137" });
    expect(manifest.permissions).toContain("nativeMessaging");
  });

  test("the Firefox xpi carries the gecko id the host manifest allows, and web-ext lint finds no error", async () => {
    const xpi = join(out, `hitl-firefox-${pkg.version}.xpi`);
    const { files, manifest } = await archiveFiles(xpi);
    expect(files).toEqual(filesUnder(join(EXTENSION, "dist", "firefox")));
    expect(manifest).toMatchObject({
      manifest_version: 3,
      version: pkg.version,
      browser_specific_settings: { gecko: { id: extensionId.firefoxId, strict_min_version: "129.0" } },
    });
    expect(manifest).not.toHaveProperty("key");

    // The lint run on the xpi itself, as the store receives it.
    const { stdout: json } = await run(WEB_EXT, ["lint", "--source-dir", xpi, "--output", "json", "--self-hosted=false"], {
      env: OFFLINE_ENV,
    });
    const lint = JSON.parse(json) as {
      summary: { errors: number; warnings: number };
      metadata: { id: string; manifestVersion: number };
      warnings: Array<{ code: string }>;
    };
    expect(lint.summary.errors).toBe(0);
    expect(lint.metadata).toMatchObject({ id: extensionId.firefoxId, manifestVersion: 3 });
    expect(lint.warnings.map((warning) => warning.code).sort()).toEqual(KNOWN_LINT_WARNINGS);
    expect(stdout).toContain(`${xpi} (web-ext lint: 0 errors, ${KNOWN_LINT_WARNINGS.length} warnings)`);
  }, 60_000);
});
