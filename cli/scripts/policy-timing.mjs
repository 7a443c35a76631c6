#!/usr/bin/env node
/*
 * What the policy costs a fresh process (a hook runs once per tool call): importing the module,
 * loadPolicy, the first decide(), and for a line the fast lexer declines, the wasm parser's
 * start-up inside that first decide(). Medians over N fresh processes, after `tsc -b`:
 *
 *   node cli/scripts/policy-timing.mjs [N]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const INDEX = fileURLToPath(new URL("../dist/policy/index.js", import.meta.url));
const RUNS = Number(process.argv[2] ?? 15);
const COMMANDS = ["ls -la", "git status", "ls -la | wc -l", "rm -rf 'build dir'"];

const child = (command) => `
  const t0 = performance.now();
  const { loadPolicy, decide } = await import(${JSON.stringify(INDEX)});
  const t1 = performance.now();
  const env = { HOME: "/home/agent", HITL_CONFIG_DIR: "/nonexistent-hitl-config" };
  const policy = await loadPolicy({ env });
  const t2 = performance.now();
  await decide(policy, { kind: "shell", agentTool: "Bash", command: ${JSON.stringify(command)}, cwd: "/srv/project" }, { env });
  const t3 = performance.now();
  await decide(policy, { kind: "shell", agentTool: "Bash", command: ${JSON.stringify(command)}, cwd: "/srv/project" }, { env });
  const t4 = performance.now();
  process.stdout.write(JSON.stringify([t1 - t0, t2 - t1, t3 - t2, t4 - t3]));
`;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const wall = (args) => {
  const start = performance.now();
  const out = execFileSync(process.execPath, args, { encoding: "utf8" });
  return { ms: performance.now() - start, out };
};

const node = [];
for (let i = 0; i < RUNS; i++) node.push(wall(["-e", "0"]).ms);
process.stdout.write(`node -e 0: ${median(node).toFixed(1)} ms wall (median of ${RUNS})\n`);
for (const command of COMMANDS) {
  const rows = [];
  const walls = [];
  for (let i = 0; i < RUNS; i++) {
    const { ms, out } = wall(["--input-type=module", "-e", child(command)]);
    rows.push(JSON.parse(out));
    walls.push(ms);
  }
  const [imp, load, first, second] = [0, 1, 2, 3].map((k) => median(rows.map((row) => row[k])).toFixed(2));
  process.stdout.write(
    `${JSON.stringify(command).padEnd(22)} import ${imp} ms, loadPolicy ${load} ms, first decide ${first} ms, second decide ${second} ms; whole process ${median(walls).toFixed(1)} ms wall\n`,
  );
}
