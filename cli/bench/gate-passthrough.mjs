#!/usr/bin/env node
/*
 * gate_passthrough_overhead (run by verifier/bench/run.js, or alone): p50 latency of `tools/call`
 * of an allowed tool (readOnlyHint: true, so the default policy allows it) through
 * `hitl mcp-gate` against the same upstream spoken to directly, in the same run, for two
 * upstreams:
 *   filesystem  the published reference server (@modelcontextprotocol/server-filesystem),
 *               read_text_file of a small file: an upstream doing real work
 *   echo        cli/test/fixtures/mcp-upstream.mjs (MCP SDK), read_note: answers at once, so
 *               the gate's own cost shows at its largest
 * A third side, cli/bench/bare-relay.mjs, copies bytes both ways and does nothing else: the floor
 * any Node relay pays (relay_floor, the same ratio for it). All sides of an upstream run at once;
 * calls rotate between them, one at a time, so load from other tenants hits them alike. The client is a bare newline-delimited JSON-RPC writer/reader:
 * what is timed is the relay, not a client library. NODE_EXTRA_CA_CERTS is unset for every
 * process. Prints one JSON line.
 * Usage: node cli/bench/gate-passthrough.mjs [CALLS=1000]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("..", import.meta.url));
const ECHO = join(CLI, "test/fixtures/mcp-upstream.mjs");
const FILESYSTEM = join(CLI, "node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
const CALLS = Number(process.argv[2] ?? 1000);
const WARMUP = 200;

const home = mkdtempSync(join(tmpdir(), "hitl-gate-bench-"));
const files = join(home, "files");
mkdirSync(files);
writeFileSync(join(files, "note.txt"), "a small note\n");
const env = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: home,
  HITL_CONFIG_DIR: join(home, "config"),
  HITL_STATE_DIR: join(home, "state"),
};

/** A stdio MCP session with a bare client: initialize, then call(): ms for one tools/call round trip. */
async function session(command, args, tool) {
  // The upstream's stderr (the filesystem server greets there) is not part of the figure.
  const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "ignore"] });
  let buffered = "";
  const waiting = new Map();
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    buffered += chunk;
    for (let end = buffered.indexOf("\n"); end !== -1; end = buffered.indexOf("\n")) {
      const message = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      const resolve = waiting.get(message.id);
      if (resolve !== undefined) {
        waiting.delete(message.id);
        resolve(message);
      }
    }
  });
  let next = 0;
  const request = (method, params) =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  await request("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } });
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
  await request("tools/list", {});
  return {
    async call() {
      const started = performance.now();
      const answer = await request("tools/call", { name: tool.name, arguments: tool.arguments });
      const ms = performance.now() - started;
      if (answer.result?.content?.[0]?.text !== tool.expect) throw new Error(`unexpected answer: ${JSON.stringify(answer)}`);
      return ms;
    },
    close() {
      child.stdin.end();
      return new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

function percentile(values, p) {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** p50 (and p90) through the gate and through the bare relay vs direct, for one upstream. */
async function measure(upstream, tool) {
  const sides = [
    await session(process.execPath, upstream, tool),
    await session(process.execPath, [join(CLI, "dist/bin.cjs"), "mcp-gate", "--", process.execPath, ...upstream], tool),
    await session(process.execPath, [join(CLI, "bench/bare-relay.mjs"), process.execPath, ...upstream], tool),
  ];
  try {
    for (let i = 0; i < WARMUP; i++) for (const side of sides) await side.call();
    const times = sides.map(() => []);
    for (let i = 0; i < CALLS; i++) {
      // Which side goes first rotates.
      for (let k = 0; k < sides.length; k++) {
        const side = (i + k) % sides.length;
        times[side].push(await sides[side].call());
      }
    }
    const [directMs, gatedMs, relayMs] = times;
    const p50Direct = percentile(directMs, 50);
    const ms = (value) => Number(value.toFixed(3));
    return {
      direct_p50_ms: ms(p50Direct),
      gate_p50_ms: ms(percentile(gatedMs, 50)),
      relay_p50_ms: ms(percentile(relayMs, 50)),
      direct_p90_ms: ms(percentile(directMs, 90)),
      gate_p90_ms: ms(percentile(gatedMs, 90)),
      relay_p90_ms: ms(percentile(relayMs, 90)),
      ratio: ms(percentile(gatedMs, 50) / p50Direct),
      relay_floor: ms(percentile(relayMs, 50) / p50Direct),
    };
  } finally {
    await Promise.all(sides.map((side) => side.close()));
  }
}

try {
  const filesystem = await measure([FILESYSTEM, files], {
    name: "read_text_file",
    arguments: { path: join(files, "note.txt") },
    expect: "a small note\n",
  });
  const echo = await measure([ECHO], { name: "read_note", arguments: { name: "bench" }, expect: "note bench" });
  process.stdout.write(
    `${JSON.stringify({
      calls: CALLS,
      gate_passthrough_overhead: filesystem.ratio,
      gate_passthrough_overhead_echo: echo.ratio,
      gate_relay_floor: filesystem.relay_floor,
      gate_relay_floor_echo: echo.relay_floor,
      filesystem,
      echo,
    })}\n`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
