#!/usr/bin/env node
/*
 * Bundles the latency-relevant `hitl` commands, each into ONE file dist/bundle/<command>.js (run
 * after `tsc -b`; part of the root `pnpm build`). The input is the TypeScript output in dist/
 * (and @hitl/verifier's dist), so a bundle is exactly the code tsc emitted, in one file:
 * resolving and loading ~60 ES modules cost a fresh `hitl request` about 40 ms, most of its own
 * start-up (measured with e2e/latency.mjs and `node --cpu-prof`).
 *
 * dist/bin.js stays tsc's tiny entry. It loads a command from its bundle when the bundle is at
 * least as new as every tsc build it came from (src/lib/load-command.ts), otherwise from
 * dist/commands/, so a `tsc -b` alone never leaves `hitl` running older code.
 *
 * - One file per command, no shared chunks: only one command runs per process, and every
 *   extra file costs a fresh process about a millisecond. Code a command loads lazily (the
 *   verifier, while the human decides) stays lazy: evaluated on first use.
 * - Each entry exports the command's `run` and the `reportAndExitCode` of the same bundle, so a
 *   HitlError a command throws is the class its reporter checks.
 * - Not bundled: ioredis (loaded only with HITL_REDIS_URL; 320 KB a process would parse for
 *   nothing; a dependency of @hitl/cli so it resolves from here), fastify and playwright-core
 *   (never loaded by these commands), web-tree-sitter (the policy loads it only for a command its
 *   fast lexer cannot take; it finds its own .wasm through import.meta.url).
 * - `hook`: the bundle holds only what an allowed call runs (stdin, policy, answer). The asking
 *   path (SDK, node:http, the verifier) and `hook install` are imported by a relative path that
 *   names the same tsc output from dist/bundle/ as from dist/hooks/ and dist/commands/, and are
 *   left out (LAZY_UNBUNDLED): ES module imports are hoisted, so bundling them in would load
 *   node:http and node:crypto on every allowed call. Asking waits for a human anyway.
 * - setup and doctor are not bundled: they use @hitl/signing-host, which finds its own files
 *   through import.meta.url (a bundle would move that URL), and neither is on a latency path.
 */
import { readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const CLI_ROOT = fileURLToPath(new URL("../", import.meta.url));
const DIST = `${CLI_ROOT}dist/`;
const OUT = `${DIST}bundle`;
const BUNDLED_COMMANDS = ["request", "pair", "verify", "hook"];

const entryPlugin = {
  name: "hitl-command-entry",
  setup(builder) {
    builder.onResolve({ filter: /^hitl-command:/ }, (args) => ({
      path: args.path.slice("hitl-command:".length),
      namespace: "hitl-command",
    }));
    builder.onLoad({ filter: /.*/, namespace: "hitl-command" }, (args) => ({
      contents: `export { run } from "./commands/${args.path}.js";\nexport { reportAndExitCode } from "./lib/report.js";\n`,
      resolveDir: DIST,
      loader: "js",
    }));
  },
};

/** Imported lazily by the hook command; resolved at run time next to tsc's output (see above). */
const LAZY_UNBUNDLED = new Set(["../hooks/lib/ask-human.js", "../hooks/install-command.js"]);
const lazyPlugin = {
  name: "hitl-lazy-unbundled",
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/hooks\// }, (args) =>
      LAZY_UNBUNDLED.has(args.path) ? { path: args.path, external: true } : undefined,
    );
  },
};

rmSync(OUT, { recursive: true, force: true });
const results = await Promise.all(
  BUNDLED_COMMANDS.map((name) =>
    build({
      absWorkingDir: CLI_ROOT,
      entryPoints: [`hitl-command:${name}`],
      outfile: `${OUT}/${name}.js`,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      // picomatch is CommonJS and loaded only when a policy rule has path globs; momoa is imported
      // only for a malformed policy file (line numbers), so it stays out of the hook's parse time.
      external: ["ioredis", "fastify", "playwright-core", "web-tree-sitter", "picomatch", "@humanwhocodes/momoa"],
      legalComments: "none",
      logLevel: "warning",
      metafile: true,
      plugins: [entryPlugin, lazyPlugin],
    }),
  ),
);

// A module that locates files through import.meta.url would look next to the bundle instead;
// a CommonJS module would need require(), which an ES module bundle does not have.
const inputs = [...new Set(results.flatMap((result) => Object.keys(result.metafile.inputs)))].filter(
  (file) => !file.startsWith("hitl-command:"),
);
// One use of import.meta is fine: createRequire(import.meta.url) resolving a package (the bash
// grammar's .wasm). From dist/bundle/ Node walks up to the same
// node_modules as from dist/policy/, so it finds the same files.
const unfit = inputs.filter((file) => {
  const code = readFileSync(resolve(CLI_ROOT, file), "utf8")
    .replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "")
    .replaceAll("createRequire(import.meta.url)", "");
  return code.includes("import.meta") || /\brequire\(/.test(code);
});
if (unfit.length > 0) {
  rmSync(OUT, { recursive: true, force: true });
  throw new Error(`These modules use import.meta or require() and cannot be bundled: ${unfit.join(", ")}`);
}

const bytes = results.reduce((sum, result) => sum + Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0), 0);
process.stdout.write(
  `hitl bundle: ${BUNDLED_COMMANDS.join(", ")} (${inputs.length} modules, ${Math.round(bytes / 1024)} KiB) in dist/bundle\n`,
);
