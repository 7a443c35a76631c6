/*
 * The flags every test Chromium starts with: no sandbox (the tests run as root), no GPU, QUIC
 * off, nothing fetched in the background, and only the built hitl extension loaded. Plain ESM,
 * so e2e/latency.mjs (run without a TypeScript loader) and the TypeScript harness share it.
 */
export function chromiumArgs(extensionDir) {
  return [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--disable-extensions-except=${extensionDir}`,
    `--load-extension=${extensionDir}`,
  ];
}
