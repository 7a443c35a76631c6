import { loginToken, newApprover, registration, type Team, type TestApprover } from "./team.js";

/**
 * What a browser does at a `hitl server` reached over real HTTP: `username` signs in, and a new
 * key for that user is registered (POST /v1/keys). Throws unless the server answers 201.
 */
export async function registerNewKey(team: Team, serverUrl: string, username: string, password: string): Promise<TestApprover> {
  const user = team.kc.adminHelpers.userByUsername(username);
  if (user === undefined) throw new Error(`The Keycloak stand-in has no user "${username}".`);
  const key = newApprover(user.id);
  const { access } = await loginToken(team.kc, username, password);
  const registered = await fetch(`${serverUrl}/v1/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${access}`, "content-type": "application/json" },
    body: JSON.stringify(registration(key, { sub: user.id, iss: team.kc.issuer })),
  });
  if (registered.status !== 201) throw new Error(`POST /v1/keys answered ${registered.status}: ${await registered.text()}`);
  return key;
}

/** POST /v1/verify over real HTTP, as the verifier client (`token`: its client-credentials token). */
export function presentForVerification(serverUrl: string, token: string, body: string): Promise<Response> {
  return fetch(`${serverUrl}/v1/verify`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
  });
}
