import fs = require("node:fs");
import url = require("node:url");

/** What bin.cts needs from a command: its entry point and the reporter from the same module graph. */
interface LoadedCommand {
  run: import("./command.js").Command["run"];
  reportAndExitCode(error: unknown): number;
}

/*
 * The tsc builds dist/bundle/ is made from (scripts/bundle.mjs), relative to cli/dist/. In the
 * workspace they are cli/, sdk/ and verifier/; installed side by side under node_modules/@hitl/
 * the same relative paths hold. A missing one is skipped.
 */
const BUILD_INFO = [".tsbuildinfo", "../../sdk/dist/.tsbuildinfo", "../../verifier/dist/.tsbuildinfo"];

/**
 * The command from dist/bundle/<name>.cjs when that bundle exists and no tsc build ran after it
 * (a `tsc -b` alone must never leave `hitl` running older code); otherwise the modules tsc
 * emitted. Both are the same code; the bundle only loads faster. The bundle is CommonJS and
 * loaded with require() (this module is CommonJS too, required by bin.cts), so a bundled command
 * starts without Node's ES module loader (scripts/bundle.mjs says what that saves).
 */
async function loadCommand(
  name: string,
  unbundled: () => Promise<Pick<LoadedCommand, "run">>,
  distDir: URL = url.pathToFileURL(`${__dirname}/../`),
): Promise<LoadedCommand> {
  const bundle = new URL(`bundle/${name}.cjs`, distDir);
  if (
    isBundleFresh(
      bundle,
      BUILD_INFO.map((path) => new URL(path, distDir)),
    )
  ) {
    return require(url.fileURLToPath(bundle)) as LoadedCommand;
  }
  const [command, report] = await Promise.all([unbundled(), import("./report.js")]);
  return { run: (argv, env, launch) => command.run(argv, env, launch), reportAndExitCode: report.reportAndExitCode };
}

/** True when `bundle` exists and is at least as new as every build-info file that exists. */
function isBundleFresh(bundle: URL, buildInfo: readonly URL[]): boolean {
  const built = mtimeMs(bundle);
  if (built === undefined) return false;
  return buildInfo.every((file) => (mtimeMs(file) ?? Number.NEGATIVE_INFINITY) <= built);
}

function mtimeMs(file: URL): number | undefined {
  return fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
}

// CommonJS under verbatimModuleSyntax: one export assignment.
export = { loadCommand, isBundleFresh, BUILD_INFO };
