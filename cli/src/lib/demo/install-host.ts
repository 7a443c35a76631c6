import { installHostManifests } from "@hitl/signing-host/install";
import { HitlError } from "@hitl/verifier";

/**
 * Register the built signing host for the demo's own Chromium profile only (its
 * NativeMessagingHosts/ directory), with the launcher in the demo's HITL_CONFIG_DIR: nothing
 * outside the demo's temporary directory is written.
 */
export async function installDemoHost(userDataDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const result = await installHostManifests({ browsers: ["chromium"], userDataDir, env });
  const written = result.manifests.find((manifest) => manifest.action === "written");
  if (written === undefined) {
    throw new HitlError(
      "ERR_CONFIG",
      `The host manifest was not written into ${userDataDir}; run 'hitl setup --user-data-dir ${userDataDir}' to see why.`,
    );
  }
  return written.path;
}
