import { HitlError, type KeyDirectory, LocalKeyDirectory, type NonceStore, openNonceStore, resolvePaths } from "@hitl/verifier";

/**
 * The approvers file as a key directory. Opened before anything is sent, so the human is never
 * asked to approve something this machine could not verify.
 */
export async function openLocalKeys(approversFile: string): Promise<KeyDirectory> {
  const directory = await LocalKeyDirectory.open(approversFile);
  if (directory.approvers.length === 0) {
    throw new HitlError(
      "ERR_NOT_PAIRED",
      `No approver is paired on this machine (${approversFile} lists none). Run 'hitl pair' with your browser open, then try again.`,
    );
  }
  return directory;
}

/** Redis when HITL_REDIS_URL is set (shared by several machines), else the embedded file store. */
export function openDefaultNonceStore(env: NodeJS.ProcessEnv = process.env): Promise<NonceStore> {
  const redisUrl = env.HITL_REDIS_URL;
  const dir = resolvePaths(env).nonceDir;
  return openNonceStore(redisUrl !== undefined && redisUrl.length > 0 ? { redisUrl, dir } : { dir });
}
