import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { resolvePort } from "@hitl/sdk";
import { type EarlySign, encodeJsonBody, exchangeWithHost, takeEarlySign } from "@hitl/sdk/internal";
import { HOST_AUTH, proveHostAnswer, resolvePaths } from "@hitl/verifier";
import { afterEach, describe, expect, it } from "vitest";
import {
  dropEarlySign,
  EARLY_NONCE_HEADER,
  earlyApproversFile,
  earlyHostSecretFile,
  earlyNonceDir,
  earlySignPort,
  openEarlySign,
} from "../src/lib/early-sign.js";

/*
 * `hitl request` opens its POST /sign (headers only, x-hitl-prepare: 1) before its code loads;
 * the first exchange with the host sends the body on it. Real HTTP on a random port.
 */

let server: Server | undefined;
let opened: EarlySign | undefined;
afterEach(async () => {
  dropEarlySign(opened);
  opened = undefined;
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  }
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}

const body = encodeJsonBody({ challenge: { hello: "wörld" } });
const secret = randomBytes(32);
const exchange = (port: number, early = opened) =>
  exchangeWithHost({ port, secret, method: "POST", path: "/sign", body, maxResponseBytes: 10_000, ...(early !== undefined && { early }) });

/** openEarlySign, remembered for the exchange and the clean-up. */
function open(port: number): { early: EarlySign; sent: Promise<void> } {
  const result = openEarlySign(port);
  opened = result.early;
  return result;
}

/** Answers as the signing host does: with its proof over the client's nonce (docs/protocol.md 6.1). */
function answer(req: IncomingMessage, res: ServerResponse, status: number, text: string, nonce = req.headers[HOST_AUTH.nonceHeader]): void {
  const bytes = Buffer.from(text, "utf8");
  const proof = proveHostAnswer(secret, { nonce: String(nonce), method: req.method ?? "", path: req.url ?? "", status, body: bytes });
  res.writeHead(status, { "content-type": "application/json", ...(proof !== undefined && { [HOST_AUTH.proofHeader]: proof }) });
  res.end(bytes);
}

describe("earlySignPort", () => {
  it("is the port `hitl request` will use: --port, --port=, then HITL_PORT, then 7331", () => {
    expect(earlySignPort(["--action", "x"], {})).toBe(7331);
    expect(earlySignPort(["--action", "x"], { HITL_PORT: "4000" })).toBe(4000);
    expect(earlySignPort(["--action", "x", "--port", "5000"], { HITL_PORT: "4000" })).toBe(5000);
    expect(earlySignPort(["--port=6000", "--action", "x"], {})).toBe(6000);
  });

  it("agrees with resolvePort, the command's own rule, whenever it names a port", () => {
    const values = ["1", "80", "7331", "65535", "0", "65536", "070", "99999", "12a", "", "-1", "1e3", " 80"];
    for (const flag of [...values, undefined]) {
      for (const envPort of [...values, undefined]) {
        const argv = flag === undefined ? ["--action", "x"] : ["--action", "x", "--port", flag];
        const env = envPort === undefined ? {} : { HITL_PORT: envPort };
        const early = earlySignPort(argv, env);
        let own: number | undefined;
        try {
          own = resolvePort(flag, env);
        } catch {
          own = undefined;
        }
        if (early !== undefined) expect(early, `--port ${flag} HITL_PORT ${envPort}`).toBe(own);
      }
    }
  });

  it("is undefined when the command will not send a request (no --action, --help) or the port is not plain", () => {
    expect(earlySignPort([], {})).toBeUndefined();
    expect(earlySignPort(["--action", "x", "--help"], {})).toBeUndefined();
    expect(earlySignPort(["-h", "--action", "x"], {})).toBeUndefined();
    expect(earlySignPort(["--action", "x", "--port", "70000"], {})).toBeUndefined();
    expect(earlySignPort(["--action", "x", "--port"], {})).toBeUndefined();
    expect(earlySignPort(["--action", "x"], { HITL_PORT: "0x10" })).toBeUndefined();
  });
});

describe("the prepare header", () => {
  it("is the one the signing host opens a window early for (PREPARE_HEADER of its sign route)", async () => {
    const { PREPARE_HEADER } = await import("../../signing-host/dist/http/routes/sign.js");
    const seen: IncomingMessage["headers"][] = [];
    const port = await listen((req) => seen.push(req.headers));
    open(port);
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen[0]![PREPARE_HEADER]).toBe("1");
  });
});

describe("EARLY_NONCE_HEADER", () => {
  it("is the protocol's nonce header (repeated in early-sign.ts to keep the verifier off the start-up path)", () => {
    expect(EARLY_NONCE_HEADER).toBe(HOST_AUTH.nonceHeader);
  });
});

describe("earlyApproversFile", () => {
  it("agrees with resolvePaths, the command's own rule, for every mix of HOME, XDG_CONFIG_HOME and HITL_CONFIG_DIR", () => {
    const choices = {
      HOME: [undefined, "", "/home/a"],
      XDG_CONFIG_HOME: [undefined, "", "/x/config"],
      HITL_CONFIG_DIR: [undefined, "", "/h/conf"],
    };
    let checked = 0;
    for (const home of choices.HOME) {
      for (const xdg of choices.XDG_CONFIG_HOME) {
        for (const own of choices.HITL_CONFIG_DIR) {
          const env: NodeJS.ProcessEnv = {};
          if (home !== undefined) env.HOME = home;
          if (xdg !== undefined) env.XDG_CONFIG_HOME = xdg;
          if (own !== undefined) env.HITL_CONFIG_DIR = own;
          expect(earlyApproversFile(env), JSON.stringify(env)).toBe(resolvePaths(env).approversFile);
          expect(earlyHostSecretFile(env), JSON.stringify(env)).toBe(resolvePaths(env).hostSecretFile);
          checked++;
        }
      }
    }
    expect(checked).toBe(27);
    expect(earlyApproversFile({ HOME: "/home/a" })).toBe("/home/a/.config/hitl/approvers.json");
  });
});

describe("earlyNonceDir", () => {
  it("agrees with resolvePaths for every mix of HOME, XDG_STATE_HOME and HITL_STATE_DIR", () => {
    let checked = 0;
    for (const home of [undefined, "", "/home/a"]) {
      for (const xdg of [undefined, "", "/x/state"]) {
        for (const own of [undefined, "", "/h/state"]) {
          const env: NodeJS.ProcessEnv = {};
          if (home !== undefined) env.HOME = home;
          if (xdg !== undefined) env.XDG_STATE_HOME = xdg;
          if (own !== undefined) env.HITL_STATE_DIR = own;
          expect(earlyNonceDir(env), JSON.stringify(env)).toBe(resolvePaths(env).nonceDir);
          checked++;
        }
      }
    }
    expect(checked).toBe(27);
    expect(earlyNonceDir({ HOME: "/home/a" })).toBe("/home/a/.local/state/hitl/nonces");
  });
});

describe("openEarlySign / takeEarlySign", () => {
  it("sends the headers at once (x-hitl-prepare: 1, chunked), and the exchange sends the body on the same request", async () => {
    const seen: Array<{ headers: IncomingMessage["headers"]; body: Promise<string> }> = [];
    const port = await listen((req, res) => {
      const read = readBody(req);
      seen.push({ headers: req.headers, body: read });
      void read.then(() => answer(req, res, 200, '{"receipt":"ok"}'));
    });
    open(port);
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen[0]!.headers).toMatchObject({
      host: `127.0.0.1:${port}`,
      "content-type": "application/json",
      "x-hitl-prepare": "1",
      "transfer-encoding": "chunked",
      [HOST_AUTH.nonceHeader]: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    await expect(exchange(port)).resolves.toEqual({ receipt: "ok" });
    expect(await seen[0]!.body).toBe(body.toString("utf8"));
    expect(seen).toHaveLength(1);
  });

  /*
   * bin.cts awaits openEarlySign, then loads the command with require(), which blocks the event
   * loop for tens of milliseconds; only the event loop connects and writes. The host here runs
   * on a worker thread (its own event loop), and this thread blocks as the load does.
   */
  it("resolves once the headers are on the wire: the host gets them while the caller then blocks", async () => {
    const seen = new Int32Array(new SharedArrayBuffer(4));
    const host = new Worker(
      `const { createServer } = require("node:http");
const { parentPort, workerData } = require("node:worker_threads");
const server = createServer((req) => {
  if (req.headers["x-hitl-prepare"] === "1") { Atomics.store(workerData, 0, 1); Atomics.notify(workerData, 0); }
});
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
parentPort.once("message", () => { server.closeAllConnections(); server.close(); });`,
      { eval: true, workerData: seen },
    );
    try {
      const [port] = (await once(host, "message")) as [number];
      await open(port).sent;
      const waited = Atomics.wait(seen, 0, 0, 2_000);
      expect(waited === "ok" || waited === "not-equal").toBe(true);
      expect(Atomics.load(seen, 0)).toBe(1);
    } finally {
      dropEarlySign(opened);
      host.postMessage("stop");
      await once(host, "exit");
    }
  });

  it("keeps an answer that came before the exchange took the request (the host refused the headers)", async () => {
    const port = await listen((req, res) =>
      answer(req, res, 503, '{"error":{"code":"ERR_EXTENSION_NOT_CONNECTED","message":"not connected"}}'),
    );
    open(port);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(exchange(port)).rejects.toMatchObject({ code: "ERR_EXTENSION_NOT_CONNECTED", message: "not connected" });
  });

  it("keeps a connection error that came before the exchange: ERR_HOST_UNREACHABLE", async () => {
    const port = await listen(() => {});
    server?.close();
    server = undefined;
    open(port);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(exchange(port)).rejects.toMatchObject({
      code: "ERR_HOST_UNREACHABLE",
      message: expect.stringContaining(`No hitl signing host is listening on 127.0.0.1:${port}.`),
    });
  });

  it("is taken once, and only for its own port: another port gets a fresh request and the early one is closed", async () => {
    const closed: string[] = [];
    let arrived = 0;
    const port = await listen((req, res) => {
      arrived++;
      req.on("close", () => closed.push(req.headers["x-hitl-prepare"] === "1" ? "early" : "fresh"));
      readBody(req).then(
        () => answer(req, res, 200, "{}"),
        () => {}, // the early request is closed before its body
      );
    });
    open(port);
    while (arrived === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(takeEarlySign(opened, port + 1)).toBeUndefined();
    expect(takeEarlySign(opened, port)).toBeUndefined();
    await expect(exchange(port)).resolves.toEqual({});
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed.sort()).toEqual(["early", "fresh"]);
  });

  it("the host's proof must cover the nonce sent with the early headers: a proof for another nonce is refused", async () => {
    const port = await listen((req, res) => {
      void readBody(req).then(() => answer(req, res, 200, '{"receipt":"ok"}', randomBytes(32).toString("base64url")));
    });
    open(port);
    await expect(exchange(port)).rejects.toMatchObject({
      code: "ERR_HOST_UNAUTHENTICATED",
      message: expect.stringContaining(`Something else is listening on 127.0.0.1:${port} and could not prove it is your hitl signing host`),
    });
  });

  it("dropEarlySign ends a request nobody sent: the host sees the client leave", async () => {
    let aborted: Promise<unknown> | undefined;
    const port = await listen((req) => {
      req.on("error", () => {}); // "aborted": the client left
      aborted = new Promise((resolve) => req.on("close", resolve));
    });
    open(port);
    while (aborted === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    dropEarlySign(opened);
    await aborted;
    expect(takeEarlySign(opened, port)).toBeUndefined();
  });
});
