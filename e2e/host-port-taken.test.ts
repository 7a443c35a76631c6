import { createServer, type Server } from "node:net";
import { afterAll, expect, test } from "vitest";
import { type BrowserSession, EXTENSION_ID, freePort, launchSession } from "./harness/index.js";

/*
 * Another program holds the host's port: the host says so (host.error ERR_PORT_IN_USE) and exits;
 * the extension shows it in the toolbar popup and keeps reconnecting with backoff; once the port
 * is free the next attempt connects, without restarting anything.
 */
let session: BrowserSession | undefined;
let blocker: Server | undefined;
afterAll(async () => {
  await session?.close();
  await new Promise((resolve) => (blocker?.listening ? blocker.close(resolve) : resolve(undefined)));
});

test("port taken: the popup says ERR_PORT_IN_USE; freed: the extension reconnects by itself", async () => {
  const port = await freePort();
  blocker = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => blocker!.listen(port, "127.0.0.1", resolve));
  session = await launchSession({ port, waitForConnection: false });

  const popup = await session.context.newPage();
  await popup.goto(`chrome-extension://${EXTENSION_ID}/src/popup/popup.html`);
  await expect.poll(() => popup.locator("#status").textContent(), { timeout: 20_000 }).toContain("ERR_PORT_IN_USE");
  expect(await popup.locator("#host-pill").textContent()).toBe("host offline");

  await new Promise((resolve) => blocker!.close(resolve));
  const health = await session.waitForHealth((h) => h.extension.connected, 45_000);
  expect(health.host.port).toBe(port);
  await expect.poll(() => popup.locator("#host-pill").textContent(), { timeout: 5_000 }).toBe("host connected");
  await popup.close();
}, 90_000);
