import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createPeerIdentifier } from "../src/http/lib/peer-identity.js";

/*
 * The kernel's answer to "who holds the client end of this connection", read from the real
 * /proc of this machine (Linux): real sockets, real child processes.
 */

let server: Server | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  if (server !== undefined) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

/** A server on 127.0.0.1:0 and the next `count` accepted sockets. */
async function accepting(count: number): Promise<{ port: number; sockets: Promise<Socket[]> }> {
  const accepted: Socket[] = [];
  let done: (sockets: Socket[]) => void = () => {};
  const sockets = new Promise<Socket[]>((resolve) => {
    done = resolve;
  });
  server = createServer((socket) => {
    accepted.push(socket);
    if (accepted.length === count) done(accepted);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as { port: number }).port, sockets };
}

function connectFromChild(port: number, connections: number): ChildProcess {
  const child = spawn(
    process.execPath,
    ["-e", `for (let i = 0; i < ${connections}; i++) require("node:net").connect(${port}, "127.0.0.1"); setInterval(() => {}, 60000);`],
    { stdio: "ignore" },
  );
  children.push(child);
  return child;
}

describe.runIf(process.platform === "linux")("peer identity", () => {
  it("names the process holding the client socket and its uid, whatever the connection claims", async () => {
    const { port, sockets } = await accepting(5);
    const first = connectFromChild(port, 2);
    const second = connectFromChild(port, 3);
    const identify = createPeerIdentifier();
    const peers = (await sockets).map((socket) => identify(socket));
    const uid = process.getuid!();
    expect(new Set(peers.map((peer) => peer.key))).toEqual(new Set([`process:${uid}:${first.pid}`, `process:${uid}:${second.pid}`]));
    expect(peers.filter((peer) => peer.pid === first.pid)).toHaveLength(2);
    expect(peers.filter((peer) => peer.pid === second.pid)).toHaveLength(3);
    for (const peer of peers) expect(peer.uid).toBe(uid);
  });

  it("puts a client that already closed its end (orphaned socket, no inode) in one shared bucket", async () => {
    const { port, sockets } = await accepting(2);
    // Connects twice, then closes both at once: our end stays open (CLOSE_WAIT), theirs is orphaned.
    const child = spawn(
      process.execPath,
      [
        "-e",
        `const net = require("node:net"); let n = 0; const s = [0, 1].map(() => net.connect(${port}, "127.0.0.1", () => { if (++n === 2) { s.forEach((c) => c.destroy()); setInterval(() => {}, 60000); } }));`,
      ],
      { stdio: "ignore" },
    );
    children.push(child);
    const accepted = await sockets;
    await Promise.all(accepted.map((socket) => once(socket, "end")));
    const identify = createPeerIdentifier();
    for (const socket of accepted) expect(identify(socket)).toEqual({ key: "unidentified" });
  });

  it("a closed socket has no peer left to name", async () => {
    const { port, sockets } = await accepting(1);
    connectFromChild(port, 1);
    const [socket] = await sockets;
    socket!.destroy();
    await once(socket!, "close");
    expect(createPeerIdentifier()(socket!)).toEqual({ key: "unidentified" });
  });
});
