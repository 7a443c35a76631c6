import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHostSecret, readHostSecret, resolvePaths } from "@hitl/verifier";

/**
 * A fresh HITL_CONFIG_DIR holding a host secret, created the way `hitl setup` creates it
 * (createHostSecret), and the secret as the host reads it.
 */
export async function configWithSecret(): Promise<{ configDir: string; secretFile: string; secret: Buffer; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "hitl-host-config-"));
  const configDir = join(root, "config");
  const secretFile = resolvePaths({ HITL_CONFIG_DIR: configDir }).hostSecretFile;
  await createHostSecret(secretFile);
  return { configDir, secretFile, secret: readHostSecret(secretFile), remove: () => rm(root, { recursive: true, force: true }) };
}
