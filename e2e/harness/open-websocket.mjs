import WebSocket from "ws";

/**
 * Opens a WebSocket to a browser's automation endpoint (CDP for Chromium, BiDi for Firefox) and
 * resolves once it is open; rejects with what did not answer when it fails or takes too long.
 * Plain ESM so that e2e/latency.mjs (run without a build) and the TypeScript harness share it.
 */
export async function openWebSocket(url, { what, timeoutMs = 10_000, options } = {}) {
  const socket = new WebSocket(url, options);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`No ${what} connection to ${url} within ${timeoutMs} ms.`));
    }, timeoutMs);
    socket.once("open", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return socket;
}
