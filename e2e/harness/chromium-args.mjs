/*
 * The flags every test Chromium starts with: no sandbox (the tests run as root), no GPU, QUIC
 * off, nothing fetched in the background, and only the built hitl extension loaded. The headless
 * screen is a small laptop's (1366 × 768), not headless's default 800 × 600, which would clamp the
 * 520 × 680 approval window the extension opens. Plain ESM,
 * so e2e/latency.mjs (run without a TypeScript loader) and the TypeScript harness share it.
 */
export function chromiumArgs(extensionDir) {
  return [
    "--no-sandbox",
    "--disable-gpu",
    "--screen-info={1366x768}",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--disable-extensions-except=${extensionDir}`,
    `--load-extension=${extensionDir}`,
  ];
}
