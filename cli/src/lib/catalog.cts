/*
 * Every `hitl` command's name and one-line summary, and the exit codes they share: the one list that `hitl --help`, `hitl help`
 * and "did you mean" answer from without importing a command, and that lib/command.ts puts at the
 * top of each command's own --help. CommonJS (as bin.cts) and without imports: bin.cts requires it
 * without starting Node's ES module loader.
 */
const SUMMARIES = {
  request: "ask the human to approve an action; exit 0 only if approved and verified",
  verify: "verify a receipt offline (does not consume the nonce)",
  pair: "pair this machine with the browser extension (local identity)",
  approvers: "list or remove the approvers paired on this machine",
  setup: "install the native-messaging host manifest for your browsers",
  policy: "check the agent policy file, or explain its verdict on a command",
  server: "run the hitl server of team mode (key registration, /v1/verify) on a shared Redis",
  keys: "team mode: list or revoke your registered keys (answered in the extension's team window)",
  doctor: "check every link of the chain and say how to fix what is broken",
  hook: "gate a coding agent's tool calls (Claude Code, Codex CLI, Gemini CLI); 'hook install' wires it in",
  mcp: "MCP server over stdio: request_approval and approval_status tools",
  "mcp-gate": "MCP proxy: starts an MCP server and forwards its tool calls only after your approval",
  demo: "(source checkout) pair a fresh Chromium and approve a request, end to end",
} as const;

type CommandName = keyof typeof SUMMARIES;

/** The exit codes of every hitl command (a hook has its own rule: bin.cts, hook.ts). */
const EXIT = {
  /** done: approved and verified, paired, valid, checks passed */
  ok: 0,
  /** the human said no (a signed denial), withdrawn with Ctrl-C, or cancelled in the browser */
  denied: 1,
  /** nobody decided before the challenge expired */
  timeout: 2,
  /** anything else: a bad command line, hitl unavailable (host, extension, pairing), invalid or forged */
  error: 3,
} as const;

/** The known command closest to a mistyped one (at most 2 edits away), for "did you mean". */
function closestCommand(typed: string): CommandName | undefined {
  let best: CommandName | undefined;
  let bestDistance = 3;
  for (const name of Object.keys(SUMMARIES) as CommandName[]) {
    const distance = editDistance(typed.toLowerCase(), name);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

/** Levenshtein distance; the names are a dozen short words, so the plain table is enough. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

// CommonJS under verbatimModuleSyntax: one export assignment (as lib/load-command.cts).
export = { SUMMARIES, EXIT, closestCommand };
