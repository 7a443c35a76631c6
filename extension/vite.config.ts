import { crx } from "@crxjs/vite-plugin";
import { defineConfig } from "vite";
import { buildManifest, type Target } from "./manifest.config";

/*
 * Two builds per browser, from the same sources:
 *
 *   vite build --mode chromium | firefox
 *     -> dist/<target>: manifest, service worker, popup, pairing window (crxjs)
 *   vite build --mode approval-chromium | approval-firefox   (afterwards, same outDir)
 *     -> the approval window as ONE script and ONE stylesheet
 *
 * Why the approval window is built on its own: it is the page a human waits for. Sharing chunks
 * with the other pages costs it three module files instead of one, which measured ~10 ms more
 * from navigation to running script in a fresh popup (e2e/latency.mjs). A single-entry build
 * needs no shared chunks and no module-preload polyfill.
 */
function parseMode(mode: string): { target: Target; approvalOnly: boolean } {
  const approvalOnly = mode.startsWith("approval-");
  const target = approvalOnly ? mode.slice("approval-".length) : mode;
  if (target === "chromium" || target === "firefox") return { target, approvalOnly };
  throw new Error(`Unknown build mode "${mode}": use chromium, firefox, approval-chromium or approval-firefox.`);
}

export default defineConfig(({ mode }) => {
  const { target, approvalOnly } = parseMode(mode);
  const common = {
    outDir: `dist/${target}`,
    target: target === "firefox" ? "firefox129" : "chrome137",
    minify: false,
    sourcemap: false,
  } as const;
  if (approvalOnly) {
    return {
      build: {
        ...common,
        emptyOutDir: false, // the main build for this target ran first
        modulePreload: { polyfill: false },
        rollupOptions: { input: { approval: "src/approval/approval.html" } },
      },
    };
  }
  return {
    build: {
      ...common,
      emptyOutDir: true,
      // The pairing window and the offscreen document (Chromium only) are not named by the
      // manifest (the service worker opens them).
      rollupOptions: {
        input: {
          pairing: "src/pairing/pairing.html",
          team: "src/team/team.html",
          ...(target === "chromium" && { offscreen: "src/offscreen/offscreen.html" }),
        },
        // One shared chunk instead of many small ones. webextension-polyfill (only the service
        // worker uses it) stays out of it, so pages neither load nor run it.
        output: {
          manualChunks: (id: string) =>
            /webextension-polyfill|\/extension\/src\/lib\/browser\.ts/.test(id)
              ? undefined
              : /node_modules|\/verifier\/dist\/|\/extension\/src\/lib\//.test(id)
                ? "shared"
                : undefined,
        },
      },
    },
    plugins: [crx({ manifest: buildManifest(target), browser: target === "firefox" ? "firefox" : "chrome" })],
  };
});
