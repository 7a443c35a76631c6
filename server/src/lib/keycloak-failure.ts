import { HitlError } from "@hitl/verifier";

/** An admin-client or network failure as one of the Keycloak codes; the message names the fix. */
export function keycloakFailure(error: unknown, where: string, timeoutMs: number): HitlError {
  if (error instanceof HitlError) return error;
  const status = httpStatusOf(error);
  if (status === 401 || status === 403) {
    return new HitlError(
      "ERR_KEYCLOAK_UNAUTHORIZED",
      `${where} refused the hitl-server service account (HTTP ${status}). Check HITL_SERVER_CLIENT_SECRET and that the service account has realm-management view-users and manage-users.`,
      { cause: error },
    );
  }
  if (isTimeout(error)) {
    return new HitlError("ERR_KEYCLOAK_TIMEOUT", `${where} did not answer within ${timeoutMs} ms. Check Keycloak's load, then try again.`, {
      cause: error,
    });
  }
  const why = status !== undefined ? `answered HTTP ${status}` : "cannot be reached";
  return new HitlError("ERR_KEYCLOAK_UNREACHABLE", `${where} ${why}. Check that Keycloak runs and HITL_KEYCLOAK_URL is right.`, {
    cause: error,
  });
}

export function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { response?: { status?: unknown } } | undefined)?.response?.status;
  return typeof status === "number" ? status : undefined;
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  const causeName = (error as { cause?: { name?: unknown } } | undefined)?.cause?.name;
  return name === "TimeoutError" || name === "AbortError" || causeName === "TimeoutError" || causeName === "AbortError";
}
