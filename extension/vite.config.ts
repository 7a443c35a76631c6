import { crx } from "@crxjs/vite-plugin";
import { defineConfig } from "vite";
import { buildManifest, type Target } from "./manifest.config";

/*
 * `vite build --mode chromium` -> dist/chromium, `vite build --mode firefox` -> dist/firefox.
 * The approval and pairing windows are not named by the manifest (the service worker opens them),
 * so they are listed as extra inputs.
 */
function targetOf(mode: string): Target {
  if (mode === "chromium" || mode === "firefox") return mode;
  throw new Error(`Unknown build mode "${mode}": use --mode chromium or --mode firefox.`);
}

export default defineConfig(({ mode }) => {
  const target = targetOf(mode);
  return {
    build: {
      outDir: `dist/${target}`,
      emptyOutDir: true,
      target: target === "firefox" ? "firefox129" : "chrome137",
      minify: false,
      sourcemap: false,
      rollupOptions: {
        input: {
          approval: "src/approval/approval.html",
          pairing: "src/pairing/pairing.html",
        },
        // One shared chunk instead of many small ones: a new approval window then loads two
        // scripts, not six, which is most of its time to first render.
        output: {
          manualChunks: (id: string) => (/node_modules|\/verifier\/dist\/|\/extension\/src\/lib\//.test(id) ? "shared" : undefined),
        },
      },
    },
    plugins: [crx({ manifest: buildManifest(target), browser: target === "firefox" ? "firefox" : "chrome" })],
  };
});
