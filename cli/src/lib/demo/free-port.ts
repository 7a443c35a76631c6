import { createServer } from "node:net";

/** A port the OS says is free right now, so the demo never collides with a host on 7331. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("The OS did not report a TCP port.");
  return address.port;
}
