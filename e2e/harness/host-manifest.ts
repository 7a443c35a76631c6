import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NATIVE_HOST_NAME } from "../../verifier/dist/protocol/index.js";
import { HOST_MAIN } from "./paths.js";

/**
 * Register the built signing host for a Chromium profile: Chromium reads host manifests from
 * `<user-data-dir>/NativeMessagingHosts/` when started with a custom user-data-dir. The launcher
 * pins the node that runs the tests, whatever PATH the browser passes on.
 */
export function installHostManifest(userDataDir: string, launcherDir: string, extensionId: string): string {
  mkdirSync(launcherDir, { recursive: true });
  const launcher = join(launcherDir, "hitl-signing-host");
  writeFileSync(launcher, `#!/bin/sh\nexec '${process.execPath}' '${HOST_MAIN}' "$@"\n`);
  chmodSync(launcher, 0o755);
  const dir = join(userDataDir, "NativeMessagingHosts");
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: NATIVE_HOST_NAME,
    description: "hitl signing host (end-to-end test)",
    path: launcher,
    type: "stdio",
    allowed_origins: [`chrome-extension://${extensionId}/`],
  };
  const file = join(dir, `${NATIVE_HOST_NAME}.json`);
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
  return file;
}
