#!/usr/bin/env node
/*
 * Store packages from the built extension (run after `pnpm build`; `pnpm --filter
 * @hitl/extension package [--out DIR]`, default dist/store/):
 *
 *   hitl-chromium-<version>.zip  for the Chrome Web Store: dist/chromium/ without the manifest
 *                                `key` (the store refuses it and assigns the id itself)
 *   hitl-firefox-<version>.xpi   for addons.mozilla.org: dist/firefox/ (its id is the gecko id),
 *                                checked with web-ext lint (addons-linter, offline); any lint
 *                                error fails the script
 *
 * The id matters: the signing host's manifest allows one extension (`hitl setup`). How the store
 * id and the development id are kept equal: extension/README.md, "Store packages".
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

// web-ext asks the registry for a newer web-ext otherwise; packaging must work offline.
process.env.NO_UPDATE_NOTIFIER = "1";
const { cmd } = (await import("web-ext")).default;

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const { values } = parseArgs({ options: { out: { type: "string" } } });
const out = resolve(values.out ?? join(ROOT, "dist", "store"));

function builtManifest(target) {
  const file = join(ROOT, "dist", target, "manifest.json");
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file} cannot be read (${error.code ?? error.message}): run 'pnpm build' first.`);
  }
}

async function zip(sourceDir, filename) {
  const { extensionPath } = await cmd.build({ sourceDir, artifactsDir: out, filename, overwriteDest: true }, { showReadyMessage: false });
  return extensionPath;
}

const chromium = builtManifest("chromium");
const firefox = builtManifest("firefox");

// Chromium: a copy of the build whose manifest has no `key`.
const stage = mkdtempSync(join(tmpdir(), "hitl-store-"));
let chromiumZip;
try {
  cpSync(join(ROOT, "dist", "chromium"), stage, { recursive: true });
  const { key: _developmentKey, ...storeManifest } = chromium;
  writeFileSync(join(stage, "manifest.json"), `${JSON.stringify(storeManifest, null, 2)}\n`);
  chromiumZip = await zip(stage, `hitl-chromium-${chromium.version}.zip`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

const firefoxXpi = await zip(join(ROOT, "dist", "firefox"), `hitl-firefox-${firefox.version}.xpi`);
const lint = await cmd.lint(
  { sourceDir: firefoxXpi, output: "text", selfHosted: false, boring: true, warningsAsErrors: false },
  { shouldExitProgram: false },
);
if (lint.summary.errors > 0) {
  throw new Error(`web-ext lint found ${lint.summary.errors} error(s) in ${firefoxXpi} (listed above).`);
}
process.stdout.write(
  `hitl extension packages in ${out}:\n  ${chromiumZip}\n  ${firefoxXpi} (web-ext lint: 0 errors, ${lint.summary.warnings} warnings)\n`,
);
