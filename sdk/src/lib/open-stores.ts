import { type KeyDirectory, LocalKeyDirectory, type NonceStore, openNonceStore, resolvePaths } from "@hitl/verifier";
import { notPaired } from "./not-paired.js";

/**
 * The approvers file as a key directory, with every record checked; ERR_NOT_PAIRED when it lists
 * nobody. requestApproval opens it before asking, or while asking when a quick look at the file
 * found it usable (see approvers-precheck.ts).
 */
export async function openLocalKeys(approversFile: string): Promise<KeyDirectory> {
  const directory = await LocalKeyDirectory.open(approversFile);
  if (directory.approvers.length === 0) throw notPaired(approversFile);
  return directory;
}

/** Redis when HITL_REDIS_URL is set (shared by several machines), else the embedded file store. */
export function openDefaultNonceStore(env: NodeJS.ProcessEnv = process.env): Promise<NonceStore> {
  const redisUrl = env.HITL_REDIS_URL;
  const dir = resolvePaths(env).nonceDir;
  return openNonceStore(redisUrl !== undefined && redisUrl.length > 0 ? { redisUrl, dir } : { dir });
}
