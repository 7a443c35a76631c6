import { NATIVE_HOST_NAME } from "@hitl/verifier/protocol";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { type ConnectionState, NativeHostConnection } from "../src/background/native-port.js";
import { type DisconnectStyle, FakeRuntime } from "./fake-browser/fake-browser.js";
import { host, newRequestId } from "./helpers/protocol-fixtures.js";

/*
 * The native port's state machine, driven through a fake runtime.connectNative: every transition
 * as one row of a table (from-state, event, to-state, what the connection did), then the
 * backoff schedule and sending. The real port runs in e2e/host-not-running.test.ts and friends.
 */

let runtime: FakeRuntime;
let states: ConnectionState[];
let connected: unknown[];
let delivered: unknown[];
let connection: NativeHostConnection;

beforeEach(() => {
  vi.useFakeTimers();
  runtime = new FakeRuntime();
  states = [];
  connected = [];
  delivered = [];
  connection = new NativeHostConnection({
    hostName: NATIVE_HOST_NAME,
    connect: (name) => runtime.connectNative(name),
    onConnected: (hello) => connected.push(hello),
    onMessage: (message) => delivered.push(message),
    onStateChange: (state) => states.push(state),
  });
});
afterEach(() => {
  vi.useRealTimers();
});

type From = "disconnected" | "awaiting-hello" | "connected";

/** Bring the connection into `from` the way the real one gets there. */
function arrange(from: From): void {
  if (from === "disconnected") return;
  connection.start();
  if (from === "connected") runtime.nativePort.hostSend(host.hello());
  states.length = 0;
}

const HELLO_TIMEOUT = "The signing host did not answer within 10000 ms.";
const CLOSED = "The signing host closed the connection.";
const REQUEST = newRequestId();

interface Row {
  from: From;
  event: string;
  act: () => void;
  /** The states passed through, in order. */
  states: ConnectionState[];
  /** How many native ports were opened in all (from arrange and act). */
  ports: number;
  /** Who closed the last port: the extension, the host, or nobody (still open). */
  lastPort?: "extension" | "host" | "open";
  /** What the extension wrote to the last port. */
  posted?: unknown[];
  onConnected?: number;
  delivered?: unknown[];
}

/** The host's end of the port closes, with the reason the browser gives (none: the default message); the connection retries. */
function hostExits(from: From, event: string, reason?: string, style?: DisconnectStyle): Row {
  return {
    from,
    event,
    act: () => runtime.nativePort.hostClose(reason, style),
    states: [{ kind: "disconnected", lastError: reason ?? CLOSED, retryInMs: 250 }],
    ports: 1,
    lastPort: "host",
  };
}

/** While connected, the host sends `message` naming REQUEST: the extension answers request.error and keeps the connection. */
function answeredWithError(event: string, message: unknown, error: { code: string; message: string }): Row {
  return {
    from: "connected",
    event,
    act: () => runtime.nativePort.hostSend(message),
    states: [],
    ports: 1,
    lastPort: "open",
    delivered: [],
    posted: [{ type: "request.error", requestId: REQUEST, error }],
  };
}

const table: Row[] = [
  {
    from: "disconnected",
    event: "start()",
    act: () => connection.start(),
    states: [{ kind: "connecting" }, { kind: "awaiting-hello" }],
    ports: 1,
    lastPort: "open",
  },
  {
    from: "disconnected",
    event: "start() but connectNative throws (no host manifest)",
    act: () => {
      runtime.connectNativeError = new Error("No such native application dev.hitl.signing_host");
      connection.start();
    },
    states: [
      { kind: "connecting" },
      { kind: "disconnected", lastError: "No such native application dev.hitl.signing_host", retryInMs: 250 },
    ],
    ports: 0,
  },
  {
    from: "awaiting-hello",
    event: "host.hello",
    act: () => runtime.nativePort.hostSend(host.hello(7331, 99)),
    states: [{ kind: "connected", hostVersion: "0.1.0", port: 7331, pid: 99 }],
    ports: 1,
    lastPort: "open",
    onConnected: 1,
  },
  {
    from: "awaiting-hello",
    event: "start() again",
    act: () => connection.start(),
    states: [],
    ports: 1,
    lastPort: "open",
  },
  {
    from: "awaiting-hello",
    event: "a request before host.hello",
    act: () => runtime.nativePort.hostSend(host.status(REQUEST)),
    states: [{ kind: "disconnected", lastError: "The signing host sent status.request before host.hello.", retryInMs: 250 }],
    ports: 1,
    lastPort: "extension",
  },
  {
    from: "awaiting-hello",
    event: "no hello within the handshake timeout",
    act: () => vi.advanceTimersByTime(10_000),
    states: [{ kind: "disconnected", lastError: HELLO_TIMEOUT, retryInMs: 250 }],
    ports: 1,
    lastPort: "extension",
  },
  hostExits("awaiting-hello", "host exits without a reason"),
  hostExits("awaiting-hello", "host not found (Chromium: runtime.lastError)", "Specified native messaging host not found.", "chromium"),
  hostExits("awaiting-hello", "host exits with an error (Firefox: port.error)", "An unexpected error occurred"),
  {
    from: "awaiting-hello",
    event: "host.error, then exit: the host's reason wins over the browser's",
    act: () => {
      runtime.nativePort.hostSend(host.error("ERR_PORT_IN_USE", "Port 7331 is in use by another program."));
      runtime.nativePort.hostClose("Native host has exited.", "chromium");
    },
    states: [{ kind: "disconnected", lastError: "ERR_PORT_IN_USE: Port 7331 is in use by another program.", retryInMs: 250 }],
    ports: 1,
    lastPort: "host",
  },
  {
    from: "awaiting-hello",
    event: "a malformed message (stays: only a valid message moves the handshake)",
    act: () => runtime.nativePort.hostSend({ type: "host.hello", hostVersion: "0.1.0", port: 0, pid: 1 }),
    states: [],
    ports: 1,
    lastPort: "open",
    posted: [],
  },
  {
    from: "connected",
    event: "a request",
    act: () => runtime.nativePort.hostSend(host.status(REQUEST)),
    states: [],
    ports: 1,
    lastPort: "open",
    onConnected: 1,
    delivered: [{ type: "status.request", requestId: REQUEST }],
  },
  {
    from: "connected",
    event: "a repeated host.hello (ignored)",
    act: () => runtime.nativePort.hostSend(host.hello(9999, 1)),
    states: [],
    ports: 1,
    lastPort: "open",
    onConnected: 1,
    delivered: [],
  },
  {
    from: "connected",
    event: "start() again",
    act: () => connection.start(),
    states: [],
    ports: 1,
    lastPort: "open",
  },
  answeredWithError(
    "a malformed request naming its id: answered with request.error, connection kept",
    { type: "sign.request", requestId: REQUEST, challenge: { v: 1 } },
    { code: "ERR_MALFORMED", message: "message.challenge.id is missing." },
  ),
  {
    from: "connected",
    event: "a malformed message without a valid request id: dropped",
    act: () => {
      runtime.nativePort.hostSend({ type: "sign.request", requestId: "not-a-uuid", challenge: {} });
      runtime.nativePort.hostSend({ type: "surprise", requestId: REQUEST.toUpperCase() });
      runtime.nativePort.hostSend(null);
      runtime.nativePort.hostSend("host.hello");
    },
    states: [],
    ports: 1,
    lastPort: "open",
    delivered: [],
    posted: [],
  },
  answeredWithError(
    "an unknown message type naming a request: answered ERR_PROTOCOL",
    { type: "sign.everything", requestId: REQUEST },
    { code: "ERR_PROTOCOL", message: 'Unknown host message type "sign.everything".' },
  ),
  hostExits("connected", "host exits"),
  hostExits("connected", "host exits with a reason", "Error when communicating with the native messaging host.", "chromium"),
  {
    from: "disconnected",
    event: "the backoff elapses after a failed connect",
    act: () => {
      runtime.connectNativeError = new Error("no host");
      connection.start();
      runtime.connectNativeError = undefined;
      vi.advanceTimersByTime(250);
    },
    states: [
      { kind: "connecting" },
      { kind: "disconnected", lastError: "no host", retryInMs: 250 },
      { kind: "connecting" },
      { kind: "awaiting-hello" },
    ],
    ports: 1,
    lastPort: "open",
  },
];

describe("native port transitions", () => {
  test.each(table)("$from + $event", (row) => {
    arrange(row.from);
    const connectedBefore = connected.length;
    row.act();
    expect(states).toEqual(row.states);
    expect(connection.state).toEqual(row.states.at(-1) ?? connection.state);
    expect(runtime.nativePorts).toHaveLength(row.ports);
    if (row.lastPort !== undefined) {
      const last = runtime.nativePort;
      expect(last.closedBy ?? "open").toBe(row.lastPort);
      // A port the connection left has no listener of ours any more: a late message finds nobody.
      const listening = last.onMessage.listenerCount + last.onDisconnect.listenerCount;
      expect(listening).toBe(row.lastPort === "open" ? 2 : 0);
    }
    if (row.posted !== undefined) expect(runtime.nativePort.posted).toEqual(row.posted);
    if (row.onConnected !== undefined) expect(connected).toHaveLength(row.onConnected);
    else expect(connected.length).toBe(connectedBefore);
    if (row.delivered !== undefined) expect(delivered).toEqual(row.delivered);
  });

  test("every state and every event is in the table", () => {
    const froms = new Set(table.map((row) => row.from));
    expect([...froms].sort()).toEqual(["awaiting-hello", "connected", "disconnected"]);
    // "connecting" is left within the same call (connectNative is synchronous): no event reaches it.
    const reached = new Set(table.flatMap((row) => row.states.map((state) => state.kind)));
    expect([...reached].sort()).toEqual(["awaiting-hello", "connected", "connecting", "disconnected"]);
  });
});

describe("reconnecting", () => {
  test("backs off 250 ms, 500 ms, 1 s, ... up to 30 s while the host stays away, and nothing connects early", () => {
    runtime.onNativeConnect = (port) => queueMicrotask(() => port.hostClose());
    runtime.connectNativeError = new Error("no host");
    connection.start();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const state = connection.state;
      if (state.kind !== "disconnected" || state.retryInMs === undefined) throw new Error(`unexpected state ${state.kind}`);
      delays.push(state.retryInMs);
      const opened = states.filter((s) => s.kind === "connecting").length;
      vi.advanceTimersByTime(state.retryInMs - 1);
      expect(states.filter((s) => s.kind === "connecting").length).toBe(opened);
      vi.advanceTimersByTime(1);
      expect(states.filter((s) => s.kind === "connecting").length).toBe(opened + 1);
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  test("a successful handshake resets the backoff; the next drop retries after 250 ms on a new port", () => {
    runtime.connectNativeError = new Error("no host");
    connection.start();
    vi.advanceTimersByTime(250); // second failure: next retry in 500 ms
    expect(connection.state).toEqual({ kind: "disconnected", lastError: "no host", retryInMs: 500 });
    runtime.connectNativeError = undefined;
    vi.advanceTimersByTime(500);
    runtime.nativePort.hostSend(host.hello());
    expect(connection.state.kind).toBe("connected");
    const first = runtime.nativePort;
    first.hostClose();
    expect(connection.state).toEqual({ kind: "disconnected", lastError: CLOSED, retryInMs: 250 });
    vi.advanceTimersByTime(250);
    expect(runtime.nativePorts).toHaveLength(2);
    expect(runtime.nativePort).not.toBe(first);
    expect(connection.state.kind).toBe("awaiting-hello");
  });

  test("start() during a backoff connects now and cancels the scheduled retry (no second port)", () => {
    connection.start();
    runtime.nativePort.hostClose();
    expect(connection.state.kind).toBe("disconnected");
    connection.start();
    expect(runtime.nativePorts).toHaveLength(2);
    // Well past the 250 ms retry, short of the handshake timeout: the scheduled retry never fires.
    vi.advanceTimersByTime(9_999);
    expect(runtime.nativePorts).toHaveLength(2);
    expect(connection.state.kind).toBe("awaiting-hello");
    expect(runtime.nativePort.open).toBe(true);
  });

  test("the handshake timer is cleared by the hello: a connection is never dropped 10 s after it was made", () => {
    connection.start();
    runtime.nativePort.hostSend(host.hello());
    vi.advanceTimersByTime(60_000);
    expect(connection.state.kind).toBe("connected");
    expect(runtime.nativePort.open).toBe(true);
  });

  test("a message on a port the connection left is not delivered", () => {
    connection.start();
    const old = runtime.nativePort;
    old.hostSend(host.hello());
    old.hostClose();
    vi.advanceTimersByTime(250);
    runtime.nativePort.hostSend(host.hello());
    // The old port cannot speak any more; even a listener-level replay would find no listener.
    expect(old.onMessage.listenerCount).toBe(0);
    old.onMessage.emit(host.status(REQUEST), old);
    expect(delivered).toEqual([]);
    expect(connected).toHaveLength(2);
  });
});

describe("sending", () => {
  test("refused with ERR_HOST_UNREACHABLE unless connected (disconnected, and during the handshake)", () => {
    const message = { type: "request.error", requestId: REQUEST, error: { code: "ERR_TIMEOUT", message: "late" } } as const;
    const unreachable = {
      code: "ERR_HOST_UNREACHABLE",
      message: "The signing host is not connected; the extension will retry automatically.",
    };
    expect(() => connection.send(message)).toThrow(expect.objectContaining(unreachable));
    connection.start();
    expect(() => connection.send(message)).toThrow(expect.objectContaining(unreachable));
    expect(runtime.nativePort.posted).toEqual([]);
    runtime.nativePort.hostSend(host.hello());
    connection.send(message);
    expect(runtime.nativePort.posted).toEqual([message]);
  });

  test("a message over the 1 MiB native-messaging cap is refused before it reaches the port", () => {
    connection.start();
    runtime.nativePort.hostSend(host.hello());
    const huge = { type: "request.error", requestId: REQUEST, error: { code: "ERR_INTERNAL", message: "x".repeat(1024 * 1024) } } as const;
    expect(() => connection.send(huge)).toThrow(
      expect.objectContaining({
        code: "ERR_NATIVE_MESSAGE_TOO_LARGE",
        message: `A request.error message of ${JSON.stringify(huge).length} bytes exceeds the 1 MiB native-messaging limit.`,
      }),
    );
    expect(runtime.nativePort.posted).toEqual([]);
  });
});
