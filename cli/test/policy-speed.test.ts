import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/*
 * A hook decides on every tool call, so the common case must not load the wasm parser. A fresh
 * process runs the built module (cli/dist, after tsc -b) and counts WebAssembly compilations.
 */
const INDEX = fileURLToPath(new URL("../dist/policy/index.js", import.meta.url));

function freshDecide(command: string): { wasm: number; decision: string; rule: string } {
  const script = `
    let wasm = 0;
    for (const name of ["instantiate", "compile", "instantiateStreaming", "compileStreaming"]) {
      const original = WebAssembly[name];
      WebAssembly[name] = (...args) => { wasm++; return original.apply(WebAssembly, args); };
    }
    const { loadPolicy, decide } = await import(${JSON.stringify(INDEX)});
    const env = { HOME: "/home/agent", HITL_CONFIG_DIR: "/nonexistent-hitl-config" };
    const verdict = await decide(await loadPolicy({ env }), { kind: "shell", agentTool: "Bash", command: ${JSON.stringify(command)}, cwd: "/srv/project" }, { env });
    process.stdout.write(JSON.stringify({ wasm, decision: verdict.decision, rule: verdict.rule }));
  `;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })) as {
    wasm: number;
    decision: string;
    rule: string;
  };
}

describe("the fast path", () => {
  it.each(["ls -la", "git status", "npm test", "git diff --stat src"])("decides %j without loading the wasm parser", (command) => {
    expect(freshDecide(command)).toEqual({ wasm: 0, decision: "allow", rule: "builtin:otherwise" });
  });

  it("loads tree-sitter-bash for anything else, and still decides", () => {
    const result = freshDecide("ls -la | grep x && rm -rf 'build dir'");
    expect(result.wasm).toBeGreaterThan(0);
    expect(result).toMatchObject({ decision: "ask", rule: "builtin:destructive-rm" });
  });

  it("decides a dangerous command the fast lexer reads without the parser", () => {
    expect(freshDecide("rm -rf build")).toEqual({ wasm: 0, decision: "ask", rule: "builtin:destructive-rm" });
  });
});

describe("the grammar", () => {
  it("ships as .wasm inside the tree-sitter-bash npm package and is read from node_modules", () => {
    const require = createRequire(new URL("../src/policy/lib/shell/tree-sitter.ts", import.meta.url));
    const wasm = require.resolve("tree-sitter-bash/tree-sitter-bash.wasm");
    expect(wasm).toMatch(/node_modules\/(?:\.pnpm\/.+\/node_modules\/)?tree-sitter-bash\/tree-sitter-bash\.wasm$/);
    // A wasm module: the magic number, and the size of a real grammar.
    expect([...readFileSync(wasm).subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);
    expect(statSync(wasm).size).toBeGreaterThan(500_000);
    const manifest = JSON.parse(readFileSync(require.resolve("tree-sitter-bash/package.json"), "utf8")) as { files: string[] };
    expect(manifest.files).toContain("*.wasm");
  });
});
