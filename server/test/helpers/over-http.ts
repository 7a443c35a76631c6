import { loginToken, registration, type Team } from "./team.js";

/**
 * What a browser does at a `hitl server` reached over real HTTP: `username` signs in and registers
 * `key` as theirs (POST /v1/keys). Throws unless the server answers 201.
 */
export async function registerKey(
  team: Team,
  serverUrl: string,
  login: { username: string; password: string },
  key: Parameters<typeof registration>[0],
): Promise<void> {
  const user = team.kc.adminHelpers.userByUsername(login.username);
  if (user === undefined) throw new Error(`The Keycloak stand-in has no user "${login.username}".`);
  const { access } = await loginToken(team.kc, login.username, login.password);
  const registered = await fetch(`${serverUrl}/v1/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${access}`, "content-type": "application/json" },
    body: JSON.stringify(registration(key, { sub: user.id, iss: team.kc.issuer })),
  });
  if (registered.status !== 201) throw new Error(`POST /v1/keys answered ${registered.status}: ${await registered.text()}`);
}

/** POST /v1/verify over real HTTP, as the verifier client (`token`: its client-credentials token). */
export function presentForVerification(serverUrl: string, token: string, body: string): Promise<Response> {
  return fetch(`${serverUrl}/v1/verify`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
  });
}
