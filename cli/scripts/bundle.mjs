#!/usr/bin/env node
/*
 * Bundles the latency-relevant `hitl` commands, each into ONE file dist/bundle/<command>.cjs (run
 * after `tsc -b`; part of the root `pnpm build`). The input is the TypeScript output in dist/
 * (and @hitl/verifier's dist), so a bundle is exactly the code tsc emitted, in one file:
 * resolving and loading ~60 ES modules cost a fresh `hitl request` about 40 ms, most of its own
 * start-up (measured with e2e/latency.mjs and `node --cpu-prof`).
 *
 * dist/bin.cjs stays tsc's tiny entry. It loads a command from its bundle when the bundle is at
 * least as new as every tsc build it came from (src/lib/load-command.ts), otherwise from
 * dist/commands/, so a `tsc -b` alone never leaves `hitl` running older code.
 *
 * - CommonJS, required by dist/bin.cjs (src/lib/load-command.cts): Node then runs the command
 *   without starting its ES module loader. `hitl verify --help` from a CommonJS bundle cost
 *   1.22x `node -e 0` in CPU time, from the same code as an ES module bundle 1.47x (Node 20).
 *   Strict mode as in the ES modules it came from (the banner); a top-level await would make
 *   esbuild fail the build, as would anything else CommonJS cannot express.
 * - One file per command, no shared chunks: only one command runs per process, and every
 *   extra file costs a fresh process about a millisecond. Code a command loads lazily (the
 *   verifier, while the human decides) stays lazy: evaluated on first use.
 * - Each entry exports the command's `run` and the `reportAndExitCode` of the same bundle, so a
 *   HitlError a command throws is the class its reporter checks.
 * - Not bundled: ioredis (loaded only with HITL_REDIS_URL; 320 KB a process would parse for
 *   nothing; a dependency of @hitl/cli so it resolves from here), fastify and playwright-core
 *   (never loaded by these commands).
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
const BUNDLED_COMMANDS = ["request", "pair", "verify"];

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

rmSync(OUT, { recursive: true, force: true });
const results = await Promise.all(
  BUNDLED_COMMANDS.map((name) =>
    build({
      absWorkingDir: CLI_ROOT,
      entryPoints: [`hitl-command:${name}`],
      outfile: `${OUT}/${name}.cjs`,
      bundle: true,
      format: "cjs",
      banner: { js: '"use strict";' },
      platform: "node",
      target: "node20",
      external: ["ioredis", "fastify", "playwright-core"],
      legalComments: "none",
      logLevel: "warning",
      metafile: true,
      plugins: [entryPlugin],
    }),
  ),
);

// A module that locates files through import.meta.url would look next to the bundle instead
// (and import.meta is empty in CommonJS); a module that calls require() itself is outside what
// this script was checked with.
const inputs = [...new Set(results.flatMap((result) => Object.keys(result.metafile.inputs)))].filter(
  (file) => !file.startsWith("hitl-command:"),
);
const unfit = inputs.filter((file) => {
  const text = readFileSync(resolve(CLI_ROOT, file), "utf8");
  return text.includes("import.meta") || /\brequire\(/.test(text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ""));
});
if (unfit.length > 0) {
  rmSync(OUT, { recursive: true, force: true });
  throw new Error(`These modules use import.meta or require() and cannot be bundled: ${unfit.join(", ")}`);
}

const bytes = results.reduce((sum, result) => sum + Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0), 0);
process.stdout.write(
  `hitl bundle: ${BUNDLED_COMMANDS.join(", ")} (${inputs.length} modules, ${Math.round(bytes / 1024)} KiB) in dist/bundle\n`,
);
