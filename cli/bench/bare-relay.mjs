#!/usr/bin/env node
/*
 * The floor of gate_passthrough_overhead: a stdio relay that does nothing but copy bytes both ways
 * between its own stdio and the upstream it starts (no framing, no parsing, no policy). Any relay
 * written in Node costs at least this; the gate's figure is read against it.
 * Usage: node cli/bench/bare-relay.mjs <command> [args...]
 */
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
const upstream = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
process.stdin.on("data", (chunk) => upstream.stdin.write(chunk));
process.stdin.on("end", () => upstream.stdin.end());
upstream.stdout.on("data", (chunk) => process.stdout.write(chunk));
upstream.on("exit", (code) => process.exit(code ?? 1));
