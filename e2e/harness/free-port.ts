import { createServer } from "node:net";

/** Ask the OS for a free TCP port on 127.0.0.1 (other processes share this machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address !== null) resolve(address.port);
        else reject(new Error("The OS did not assign a port."));
      });
    });
  });
}
