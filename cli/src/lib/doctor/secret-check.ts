import { HitlError, readHostSecret } from "@hitl/verifier";
import { type CheckResult, fail, pass } from "./check.js";

const NAME = "host secret";

/** The per-user host secret exists with safe modes; the host check needs it to trust any answer. */
export function checkHostSecret(path: string): { secret: Buffer | undefined; result: CheckResult } {
  try {
    const secret = readHostSecret(path);
    return { secret, result: pass(NAME, `${path} (yours, mode 0600 or stricter)`) };
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return { secret: undefined, result: fail(NAME, `cannot use ${path}`, error.code, error.message) };
  }
}
