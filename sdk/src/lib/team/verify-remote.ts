import { type Challenge, challengeDigest, type ErrorCode, HitlError, isErrorCode } from "@hitl/verifier";
import { parseReceipt } from "@hitl/verifier/protocol";
import type { ApprovalOutcome, Approver } from "../outcome.js";
import { readTeamClientSecret, type TeamConfig } from "./team-config.js";

/*
 * Team mode's verifier: the organisation's hitl server (POST /v1/verify), which checks the receipt
 * against the keys registered in Keycloak and consumes the nonce in the shared Redis. This machine
 * holds no key directory and no Redis credentials; it holds one client-credentials secret that
 * lets it ask the server, which (unlike the approvers file) an agent running as the user cannot
 * turn into an approval.
 */
const TIMEOUT_MS = 10_000;

export interface TeamVerifier {
  readonly config: TeamConfig;
  verify(receipt: unknown, challenge: Challenge): Promise<ApprovalOutcome>;
}

function unreachable(what: string, url: string, error: unknown): HitlError {
  const detail =
    error instanceof Error ? (error.name === "TimeoutError" ? `no answer in ${TIMEOUT_MS / 1000} s` : error.message) : String(error);
  return new HitlError("ERR_TEAM_SERVER_UNREACHABLE", `${what} at ${url} cannot be reached (${detail}). Run 'hitl doctor'.`);
}

/** A client-credentials access token for /v1/verify from the realm's token endpoint. */
export async function serviceToken(config: TeamConfig, secret: string): Promise<string> {
  const url = `${config.keycloak}/realms/${config.realm}/protocol/openid-connect/token`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`,
      },
      body: "grant_type=client_credentials",
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "error",
    });
  } catch (error) {
    throw unreachable("Keycloak", url, error);
  }
  const body = (await response.json().catch(() => undefined)) as { access_token?: unknown } | undefined;
  if (!response.ok || typeof body?.access_token !== "string") {
    throw new HitlError(
      "ERR_TEAM_SERVER_REFUSED",
      `Keycloak refused the client credentials of '${config.clientId}' (HTTP ${response.status}). Check the secret in team-client-secret with your admin, then 'hitl setup --team … --client-secret-file FILE'.`,
    );
  }
  return body.access_token;
}

/** Ready before the challenge goes out: config read, secret present, service token obtained. */
export async function openTeamVerifier(config: TeamConfig, configDir: string): Promise<TeamVerifier> {
  const token = await serviceToken(config, readTeamClientSecret(configDir));
  return { config, verify: (receipt, challenge) => verifyRemotely(config, token, receipt, challenge) };
}

/** §9: 200 {approver: {sub, username}, kid, action, challenge, decidedAt}; errors {code, message}. */
interface VerifyAnswer {
  approver?: { sub?: unknown; username?: unknown };
  kid?: unknown;
  code?: unknown;
  message?: unknown;
}

/** The approver the server verified; the server does not return the key, so there is no publicKey. */
function approverOf(answer: VerifyAnswer): (Approver & { label: string }) | undefined {
  const a = answer.approver;
  if (typeof a?.sub !== "string" || typeof a.username !== "string" || typeof answer.kid !== "string") return undefined;
  return { sub: a.sub, kid: answer.kid, label: a.username };
}

async function verifyRemotely(config: TeamConfig, token: string, receiptValue: unknown, challenge: Challenge): Promise<ApprovalOutcome> {
  const url = `${config.server}/v1/verify`;
  // The receipt must answer OUR challenge: checked here as well as by the server's aud/intent.
  const receipt = parseReceipt(receiptValue);
  if (challengeDigest(receipt.challenge) !== challengeDigest(challenge)) {
    return {
      decision: "error",
      code: "ERR_CHALLENGE_MISMATCH",
      message: "The signing host returned a receipt for another request. Run 'hitl doctor'.",
      challenge,
    };
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ receipt, expected: { aud: challenge.aud, intent: challenge.intent } }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "error",
    });
  } catch (error) {
    const failure = unreachable("The hitl server", url, error);
    return { decision: "error", code: failure.code, message: failure.message, challenge };
  }
  const answer = ((await response.json().catch(() => undefined)) ?? {}) as VerifyAnswer;
  const approver = approverOf(answer);
  if (response.ok) {
    if (approver === undefined || approver.sub !== receipt.statement.sub || approver.kid !== receipt.kid) {
      return {
        decision: "error",
        code: "ERR_PROTOCOL",
        message: `The hitl server at ${url} answered without the approver of this receipt.`,
        challenge,
      };
    }
    return { decision: "approve", challenge, approver, receipt, verifiedBy: { server: config.server, username: approver.label } };
  }
  const code: ErrorCode = isErrorCode(answer.code) ? answer.code : "ERR_TEAM_SERVER_REFUSED";
  const message = typeof answer.message === "string" ? answer.message : `The hitl server answered HTTP ${response.status}.`;
  // 422 ERR_DENIED: the server verified a signed denial of this very challenge (checked above).
  if (code === "ERR_DENIED" && response.status === 422 && receipt.statement.decision === "deny") {
    const denier: Approver = { sub: receipt.statement.sub, kid: receipt.kid };
    return { decision: "deny", code, message, challenge, approver: denier, receipt };
  }
  return { decision: "error", code, message: `${message} (verified by the hitl server at ${config.server})`, challenge };
}
