import { DEFAULT_PORT, HitlError } from "@hitl/verifier/protocol";

/**
 * Who launched us, from the arguments the browser passes: Chromium-family browsers pass the
 * caller's origin (`chrome-extension://<id>/`, plus `--parent-window=N` on Windows); Firefox
 * passes the manifest path and the add-on id. Only logged: the browser already enforced the
 * manifest's allowed_origins / allowed_extensions before starting us.
 */
export function describeLauncher(argv: readonly string[]): Record<string, string | undefined> {
  const clip = (value: string | undefined) => value?.slice(0, 512);
  const first = argv[0];
  if (first?.startsWith("chrome-extension://")) return { launchedBy: "chromium", callerOrigin: clip(first) };
  if (argv.length >= 2) return { launchedBy: "firefox", manifest: clip(first), extensionId: clip(argv[1]) };
  return { launchedBy: first === undefined ? "manual" : "unknown", argv: clip(argv.join(" ")) };
}

/**
 * HITL_PORT (inherited from the browser's environment) or DEFAULT_PORT. Strict: "7331x", " 7331"
 * or 0 are configuration mistakes to report, not values to guess at.
 */
export function portFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.HITL_PORT;
  if (raw === undefined || raw === "") return DEFAULT_PORT;
  const port = /^[0-9]{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new HitlError(
      "ERR_CONFIG",
      `HITL_PORT must be a port number from 1 to 65535, but it is ${JSON.stringify(raw.slice(0, 32))}; fix it in the environment the browser starts from.`,
    );
  }
  return port;
}
