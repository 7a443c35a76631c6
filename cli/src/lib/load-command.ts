import { statSync } from "node:fs";

/** What bin.cts needs from a command: its entry point and the reporter from the same module graph. */
export interface LoadedCommand {
  run(argv: string[]): Promise<number>;
  reportAndExitCode(error: unknown): number;
}

/*
 * The tsc builds dist/bundle/ is made from (scripts/bundle.mjs), relative to cli/dist/. In the
 * workspace they are cli/ and verifier/; installed side by side under node_modules/@hitl/ the
 * same relative paths hold. A missing one is skipped.
 */
const BUILD_INFO = [".tsbuildinfo", "../../verifier/dist/.tsbuildinfo"];

/**
 * The command from dist/bundle/<name>.js when that bundle exists and no tsc build ran after it
 * (a `tsc -b` alone must never leave `hitl` running older code); otherwise the modules tsc
 * emitted. Both are the same code; the bundle only loads faster.
 */
export async function loadCommand(
  name: string,
  unbundled: () => Promise<Pick<LoadedCommand, "run">>,
  distDir: URL = new URL("../", import.meta.url),
): Promise<LoadedCommand> {
  const bundle = new URL(`bundle/${name}.js`, distDir);
  if (
    isBundleFresh(
      bundle,
      BUILD_INFO.map((path) => new URL(path, distDir)),
    )
  ) {
    return (await import(bundle.href)) as LoadedCommand;
  }
  const [command, report] = await Promise.all([unbundled(), import("./report.js")]);
  return { run: (argv) => command.run(argv), reportAndExitCode: report.reportAndExitCode };
}

/** True when `bundle` exists and is at least as new as every build-info file that exists. */
export function isBundleFresh(bundle: URL, buildInfo: readonly URL[]): boolean {
  const built = mtimeMs(bundle);
  if (built === undefined) return false;
  return buildInfo.every((file) => (mtimeMs(file) ?? Number.NEGATIVE_INFINITY) <= built);
}

function mtimeMs(file: URL): number | undefined {
  return statSync(file, { throwIfNoEntry: false })?.mtimeMs;
}
