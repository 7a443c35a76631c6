import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import { HitlError, type JsonValue } from "@hitl/verifier";
import { findDuplicateMemberName, parseStrictJson } from "@hitl/verifier/protocol";
import { approveCall, type CallVerdict, type UpstreamIdentity } from "./approve-call.js";
import { LineSplitter } from "./line-splitter.js";
import { ToolCatalog } from "./tool-catalog.js";

/** What the policy says about one tools/call (cli/src/policy's verdict, the fields the gate uses). */
export interface GateVerdict {
  decision: "allow" | "ask" | "deny";
  rule: string;
  reason: string;
  timeoutSeconds: number | undefined;
  audience: string | undefined;
}

export interface GateOptions {
  command: string;
  args: readonly string[];
  /** --name: how the window and the policy name this server (default: serverInfo.name from initialize). */
  name: string | undefined;
  port: number;
  timeoutSeconds: number;
  env: NodeJS.ProcessEnv;
  decide(call: {
    server: string;
    tool: string;
    arguments: Readonly<Record<string, unknown>>;
    readOnlyHint: boolean | undefined;
  }): GateVerdict | Promise<GateVerdict>;
  input: Readable;
  output: Writable;
  /** Aborting it ends the session as the client closing stdin does (a signal to the gate). */
  stop: AbortSignal;
  /** How long the upstream gets after its stdin closed, then after SIGTERM, before the next step. */
  graceMs?: number;
  /** How long the gate waits for the upstream to answer its own tools/list. */
  listTimeoutMs?: number;
}

/** A message line longer than this is a framing error (a whole receipt-free MCP message fits easily). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const JSONRPC_INVALID_REQUEST = -32600;
/**
 * Bytes of notifications/tools/list_changed as servers write it, searched without decoding. An
 * upstream that escapes them only keeps its own old hints, which it could as well have kept.
 */
const LIST_CHANGED = Buffer.from("list_changed");
const JSONRPC_PARSE_ERROR = -32700;

type Id = string | number;
interface Message {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/** "s:abc" / "n:1": a JSON-RPC id as a map key (the string "1" and the number 1 are different ids). */
function idKey(id: unknown): string | undefined {
  if (typeof id === "string") return `s:${id}`;
  if (typeof id === "number" && Number.isFinite(id)) return `n:${id}`;
  return undefined;
}

/**
 * The relay of `hitl mcp-gate`. Every line passes through as the bytes received, except a
 * client's tools/call, which reaches the upstream only once the policy allows it or the human
 * approved it (verified receipt). Other messages are never held up by a pending approval.
 * Resolves with the exit code: the upstream's own, or 0 once the client closed and the upstream
 * was stopped.
 */
export function runGate(options: GateOptions): Promise<number> {
  const grace = options.graceMs ?? 2000;
  const catalog = new ToolCatalog();
  /** tools/call ids waiting for the human, with the way to withdraw each. */
  const waiting = new Map<string, AbortController>();
  /** Ids of the client's tools/list and initialize requests: their results teach the gate. */
  const clientLists = new Set<string>();
  let initializeId: string | undefined;
  let serverName: string | undefined = options.name;
  /** The gate's own tools/list, made when a call comes before the client ever listed. */
  const ownLists = new Map<string, (result: unknown) => void>();
  let ownListing: Promise<void> | undefined;
  let clientClosed = false;
  let upstreamExited = false;

  const commandName = options.command.split("/").pop() || options.command;
  const identity = (): UpstreamIdentity => ({
    name: serverName ?? commandName,
    command: [options.command, ...options.args],
  });

  const child: ChildProcess = spawn(options.command, [...options.args], {
    env: options.env,
    stdio: ["pipe", "pipe", "inherit"],
  });

  const toClient = (text: string): void => {
    options.output.write(`${text}\n`);
  };
  /** A whole line as received ("\n" included), in one write. */
  const relayToClient = (line: Buffer): void => {
    options.output.write(line);
  };
  const replyError = (id: unknown, code: number, message: string): void => {
    toClient(JSON.stringify({ jsonrpc: "2.0", id: idKey(id) === undefined ? null : id, error: { code, message } }));
  };
  const replyToolError = (id: Id, text: string): void => {
    toClient(JSON.stringify({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text }], isError: true } }));
  };
  /** A line with its "\n", in one write. */
  const toUpstream = (line: Buffer | string): void => {
    if (upstreamExited || child.stdin === null || child.stdin.destroyed) return;
    child.stdin.write(line);
  };

  // ---- client → upstream -------------------------------------------------------------------
  const fromClient = new LineSplitter(
    (line) => onClientLine(line),
    MAX_LINE_BYTES,
    () => replyError(null, JSONRPC_INVALID_REQUEST, "hitl mcp-gate: message too long; it was not forwarded."),
  );

  function onClientLine(line: Buffer): void {
    const text = line.toString("utf8");
    // One strict parse: JSON.parse plus the scan for repeated member names and non-canonical
    // numbers. Only when it refuses is the text parsed again, to tell what it is.
    let message: unknown;
    let unclear: unknown;
    try {
      message = parseStrictJson(text, "The tools/call message");
    } catch (error) {
      try {
        message = JSON.parse(text);
      } catch {
        if (text.trim() === "") return;
        replyError(null, JSONRPC_PARSE_ERROR, "hitl mcp-gate: a message from the client is not JSON; it was not forwarded.");
        return;
      }
      unclear = error;
    }
    if (Array.isArray(message) || typeof message !== "object" || message === null) {
      // JSON-RPC batches left MCP in 2025-06-18; a batch could carry a tools/call past the gate.
      for (const part of Array.isArray(message) ? message : [message]) {
        const id = typeof part === "object" && part !== null ? (part as Message).id : undefined;
        if (idKey(id) !== undefined)
          replyError(id, JSONRPC_INVALID_REQUEST, "hitl mcp-gate: batches are not supported; send one message per line.");
      }
      return;
    }
    const msg = message as Message;
    // A name twice in one object is read differently by different parsers: the upstream might
    // see a tools/call where the gate saw something else. Refused, never forwarded. A number in
    // another form than canonical JSON's matters only in a tools/call (the window shows it).
    const duplicate = unclear === undefined ? undefined : findDuplicateMemberName(text);
    if (duplicate !== undefined) {
      if (idKey(msg.id) !== undefined) {
        replyError(
          msg.id,
          JSONRPC_INVALID_REQUEST,
          `hitl mcp-gate: the message repeats the member name ${JSON.stringify(duplicate)}; it was not forwarded.`,
        );
      }
      return;
    }
    const key = idKey(msg.id);
    if (msg.method === "tools/call") {
      // A tools/call without a usable id is not forwarded either: nothing would answer it.
      if (key !== undefined) onToolCall(line, msg, msg.id as Id, key, unclear);
      return;
    }
    if (msg.method === "notifications/cancelled") {
      const target = idKey((msg.params as { requestId?: unknown } | undefined)?.requestId);
      const pending = target === undefined ? undefined : waiting.get(target);
      if (pending !== undefined && target !== undefined) {
        // The upstream never saw that call: withdraw the window, forward nothing, answer nothing.
        waiting.delete(target);
        pending.abort();
        return;
      }
    } else if (key !== undefined && msg.method === "tools/list") {
      clientLists.add(key);
    } else if (key !== undefined && msg.method === "initialize") {
      initializeId = key;
    }
    toUpstream(line);
  }

  /** `unclear`: why the text is not in the one form every parser reads alike (numbers), if it is not. */
  function onToolCall(line: Buffer, msg: Message, id: Id, key: string, unclear: unknown): void {
    if (waiting.has(key)) {
      replyError(id, JSONRPC_INVALID_REQUEST, "hitl mcp-gate: a tools/call with this id is already waiting for approval; use a new id.");
      return;
    }
    const params = msg.params as { name?: unknown; arguments?: unknown } | undefined;
    const tool = params?.name;
    const args = params?.arguments ?? {};
    if (typeof tool !== "string" || typeof args !== "object" || args === null || Array.isArray(args)) {
      replyError(
        id,
        -32602,
        "hitl mcp-gate: tools/call needs params.name (a string) and params.arguments (an object); it was not forwarded.",
      );
      return;
    }
    // What the window shows must be what the upstream reads: numbers only in the one form that
    // every parser reads the same way (canonical JSON).
    if (unclear !== undefined) {
      const problem = unclear instanceof HitlError ? `${unclear.code}: ${unclear.message}` : String(unclear);
      replyToolError(id, `hitl mcp-gate: ${problem} The call was not forwarded; send it again in that form.`);
      return;
    }
    // The common case: the tools are known and the policy answers at once. An allowed call goes
    // on in the turn it arrived in, with nothing to withdraw; anything else takes the path below.
    let early: GateVerdict | Promise<GateVerdict> | undefined;
    if (catalog.complete) {
      try {
        early = askPolicy(tool, args as Record<string, JsonValue>);
      } catch (error) {
        early = Promise.reject(error);
      }
      if (!(early instanceof Promise) && early.decision === "allow") {
        toUpstream(line);
        return;
      }
    }
    const withdraw = new AbortController();
    waiting.set(key, withdraw);
    decideCall(tool, args as Record<string, JsonValue>, withdraw.signal, early).then(
      (verdict) => {
        // Withdrawn (cancelled, client gone, upstream gone) meanwhile: the call is dropped.
        if (waiting.get(key) !== withdraw) return;
        waiting.delete(key);
        if (verdict.forward) toUpstream(line);
        else replyToolError(id, verdict.text);
      },
      (error: unknown) => {
        if (waiting.get(key) !== withdraw) return;
        waiting.delete(key);
        replyToolError(
          id,
          `hitl mcp-gate: ERR_INTERNAL: ${String(error)}. The call was not forwarded; this is a bug in hitl, please report it.`,
        );
      },
    );
  }

  function askPolicy(tool: string, args: Record<string, JsonValue>): GateVerdict | Promise<GateVerdict> {
    return options.decide({ server: serverName ?? commandName, tool, arguments: args, readOnlyHint: catalog.readOnlyHint(tool) });
  }

  /** `early`: the policy's answer when it was asked before (the tools were known then). */
  async function decideCall(
    tool: string,
    args: Record<string, JsonValue>,
    signal: AbortSignal,
    early: GateVerdict | Promise<GateVerdict> | undefined,
  ): Promise<CallVerdict> {
    let asked = early;
    if (asked === undefined) {
      if (!catalog.complete) await listTools();
      asked = askPolicy(tool, args);
    }
    const verdict = await asked;
    const server = identity();
    if (verdict.decision === "allow") return { forward: true };
    if (verdict.decision === "deny") {
      return {
        forward: false,
        code: "ERR_POLICY_DENIED",
        text: `hitl mcp-gate: ERR_POLICY_DENIED: ${verdict.reason} The server "${server.name}" did not receive the call to tool "${tool}"; do not retry it.`,
      };
    }
    return approveCall(
      { server, tool, arguments: args },
      {
        port: options.port,
        timeoutSeconds: verdict.timeoutSeconds ?? options.timeoutSeconds,
        aud: verdict.audience,
        env: options.env,
        signal,
      },
    );
  }

  /** The gate's own listing (every page), with ids the client cannot know; one at a time. */
  function listTools(): Promise<void> {
    ownListing ??= (async () => {
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const id = `hitl-mcp-gate-${randomUUID()}`;
        const result = await new Promise<unknown>((resolve) => {
          // No answer in time: the tool stays without hints, so the policy asks.
          const timer = setTimeout(() => {
            ownLists.delete(`s:${id}`);
            resolve(undefined);
          }, options.listTimeoutMs ?? 10_000);
          ownLists.set(`s:${id}`, (value) => {
            clearTimeout(timer);
            resolve(value);
          });
          toUpstream(
            `${JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", ...(cursor !== undefined && { params: { cursor } }) })}\n`,
          );
        });
        const next = typeof result === "object" && result !== null ? (result as { nextCursor?: unknown }).nextCursor : undefined;
        catalog.learn(result, typeof next !== "string");
        if (typeof next !== "string") return;
        cursor = next;
      }
    })().finally(() => {
      // Listed once (whatever came back): unlisted tools have no hints until the list changes.
      catalog.settle();
      ownListing = undefined;
    });
    return ownListing;
  }

  // ---- upstream → client -------------------------------------------------------------------
  const fromUpstream = new LineSplitter(
    (line) => onUpstreamLine(line),
    MAX_LINE_BYTES,
    () => process.stderr.write("hitl mcp-gate: the upstream sent a message over 64 MiB; it was dropped.\n"),
  );

  /** Does the gate wait for an answer from the upstream, or could this text change what it knows? */
  const mayTeach = (bytes: Buffer): boolean =>
    clientLists.size > 0 || ownLists.size > 0 || initializeId !== undefined || bytes.includes(LIST_CHANGED);

  function onUpstreamChunk(chunk: Buffer): void {
    // The common case: whole lines the gate has nothing to learn from go on as one write.
    if (fromUpstream.idle && chunk[chunk.length - 1] === 0x0a && !mayTeach(chunk)) relayToClient(chunk);
    else fromUpstream.push(chunk);
  }

  function onUpstreamLine(line: Buffer): void {
    // Most lines only pass through; parse those that can teach the gate something.
    if (!mayTeach(line)) {
      relayToClient(line);
      return;
    }
    let message: Message | undefined;
    try {
      const parsed: unknown = JSON.parse(line.toString("utf8"));
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) message = parsed as Message;
    } catch {
      // Not ours to judge: the client sees what the upstream sent.
    }
    const key = message?.method === undefined ? idKey(message?.id) : undefined;
    if (key !== undefined && ownLists.has(key)) {
      const resolve = ownLists.get(key);
      ownLists.delete(key);
      resolve?.(message?.result);
      return;
    }
    if (key !== undefined && clientLists.delete(key)) {
      const next = (message?.result as { nextCursor?: unknown } | undefined)?.nextCursor;
      catalog.learn(message?.result, typeof next !== "string");
    } else if (key !== undefined && key === initializeId) {
      initializeId = undefined;
      const name = (message?.result as { serverInfo?: { name?: unknown } } | undefined)?.serverInfo?.name;
      if (serverName === undefined && typeof name === "string" && name.length > 0) serverName = name;
    } else if (message?.method === "notifications/tools/list_changed") {
      catalog.forget();
    }
    relayToClient(line);
  }

  // ---- lifetime ----------------------------------------------------------------------------
  return new Promise<number>((resolveExit) => {
    let stopping: NodeJS.Timeout | undefined;
    const withdrawAll = (why: string): void => {
      for (const [key, pending] of waiting) {
        waiting.delete(key);
        pending.abort();
        const id = key.startsWith("s:") ? key.slice(2) : Number(key.slice(2));
        if (why !== "") replyToolError(id, why);
      }
      for (const resolve of ownLists.values()) resolve(undefined);
      ownLists.clear();
    };

    child.on("error", (error) => {
      upstreamExited = true;
      process.stderr.write(
        `hitl mcp-gate: ERR_MCP_UPSTREAM_FAILED: could not start ${JSON.stringify(options.command)} (${error.message}). Check the command after '--'.\n`,
      );
      withdrawAll("hitl mcp-gate: ERR_MCP_UPSTREAM_FAILED: the upstream server could not be started; the call was not forwarded.");
      options.input.pause();
      resolveExit(127);
    });
    child.on("exit", (code, signal) => {
      upstreamExited = true;
      clearTimeout(stopping);
      withdrawAll(
        `hitl mcp-gate: ERR_MCP_UPSTREAM_FAILED: the upstream server exited (${signal ?? `code ${code}`}) before the call could be forwarded. Restart the MCP server.`,
      );
    });
    child.stdout?.on("data", onUpstreamChunk);
    // Everything the upstream said reaches the client before the gate exits with its code.
    child.on("close", (code, signal) => {
      options.input.pause();
      options.input.removeAllListeners("data");
      if (clientClosed) resolveExit(0);
      else resolveExit(code ?? 128 + signalNumber(signal));
    });
    child.stdin?.on("error", () => {
      // EPIPE: the upstream is gone; its exit is reported above.
    });

    const endSession = (): void => {
      if (clientClosed) return;
      clientClosed = true;
      withdrawAll("");
      // The MCP stdio shutdown: close its stdin, then SIGTERM, then SIGKILL, by its pid.
      child.stdin?.end();
      stopping = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        stopping = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        }, grace);
      }, grace);
    };
    options.input.on("data", (chunk: Buffer) => fromClient.push(chunk));
    options.input.on("end", endSession);
    // The client stopped reading (EPIPE): nobody can receive an answer any more.
    options.output.on("error", endSession);
    options.stop.addEventListener("abort", endSession, { once: true });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
  return signal === null ? 1 : (numbers[signal] ?? 1);
}
