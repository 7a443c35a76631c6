import Keycloak, { type KeycloakAdapter, type KeycloakLoginOptions } from "keycloak-js";
import { byId, el, row } from "../lib/dom.js";
import { type PageApis, pageApis } from "../lib/page-apis.js";
import { ask } from "../lib/send.js";
import { FRESH_LOGIN_SECONDS, type TeamConfig, type TeamKeyView, type TeamStatus } from "../lib/team-messages.js";
import { listKeys, registerKey, revokeKey } from "./server-api.js";

/*
 * Team sign-in window. keycloak-js runs here, in an extension page (it needs `window`,
 * `localStorage` and `history`, which an MV3 service worker does not have), driven through the
 * browser's identity API by a custom adapter: the login page opens in the browser's own auth
 * window, and its redirect to https://<id>.chromiumapp.org/ (or <hash>.extensions.allizom.org)
 * is handed back to this page only. Tokens live in this page's memory and die with it: never in
 * storage, never to the worker, the host, the CLI or a log.
 */

function identityApi(): NonNullable<PageApis["identity"]> {
  const api = pageApis().identity;
  if (api === undefined) throw new Error("This browser has no identity API (permission `identity`).");
  return api;
}

const PENDING_REGISTRATION = "hitl.team.registerAfterLogin";

function show(text: string, bad = false): void {
  const node = byId("result");
  node.textContent = text;
  node.className = bad ? "bad" : "ok";
}

/**
 * keycloak-js only reads a login response from the page's own URL (in init). So the adapter
 * runs the flow in the browser's auth window, puts the response fragment on this page's URL and
 * reloads; the next init() checks state and nonce and exchanges the code with PKCE.
 */
function webAuthFlowAdapter(kc: Keycloak, redirectUri: string): KeycloakAdapter {
  return {
    async login(options?: KeycloakLoginOptions) {
      const responseUrl = await identityApi().launchWebAuthFlow({ url: await kc.createLoginUrl(options), interactive: true });
      if (responseUrl === undefined || !responseUrl.startsWith(redirectUri))
        throw new Error("The sign-in window closed without an answer.");
      const fragment = new URL(responseUrl).hash;
      location.replace(`${location.pathname}${fragment}`);
      location.reload();
      await new Promise(() => undefined); // the page is going away
    },
    async logout() {
      kc.clearToken();
    },
    async register() {
      throw new Error("Accounts are made by your Keycloak admin.");
    },
    async accountManagement() {
      throw new Error("Not available here.");
    },
    redirectUri: () => redirectUri,
  };
}

/**
 * The window never keeps a refresh token: it never refreshes (a registration needs a fresh login
 * anyway, and the window's tokens die with it), so one would only be something to steal. Token
 * responses are read here and passed on to keycloak-js without `refresh_token`.
 */
function dropRefreshTokens(tokenEndpoint: string): void {
  const original = globalThis.fetch.bind(globalThis);
  globalThis.fetch = async (input, init) => {
    const response = await original(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url !== tokenEndpoint || !response.ok) return response;
    const body = (await response.json()) as Record<string, unknown>;
    delete body.refresh_token;
    delete body.refresh_expires_in;
    return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
  };
}

async function readStatus(): Promise<TeamStatus | undefined> {
  const reply = await ask<TeamStatus>({ type: "team.status" });
  if (!reply.ok) {
    show(`${reply.error.code}: ${reply.error.message}`, true);
    return undefined;
  }
  return reply.value;
}

function renderConfig(config: TeamConfig | undefined): void {
  if (config === undefined) return;
  byId<HTMLInputElement>("keycloak-url").value = config.keycloakUrl;
  byId<HTMLInputElement>("realm").value = config.realm;
  byId<HTMLInputElement>("server-url").value = config.serverUrl;
}

function renderAccount(status: TeamStatus, kc: Keycloak | undefined): void {
  const list = byId("account");
  list.replaceChildren();
  const username = kc?.tokenParsed?.preferred_username as string | undefined;
  row(list, "Signed in", username ?? "no");
  row(
    list,
    "Registered key",
    status.registration === undefined
      ? "none"
      : `${status.registration.username}, ${status.registration.fingerprint}, until ${new Date(status.registration.expiresAt * 1000).toLocaleString()}`,
  );
  byId("refresh").hidden = kc?.authenticated !== true;
  byId("sign-out").hidden = kc?.authenticated !== true;
}

function renderKeys(keys: TeamKeyView[], onRevoke: (kid: string) => void): void {
  byId("keys").replaceChildren(
    ...keys.map((key) => {
      const state = key.revokedAt !== undefined ? "revoked" : key.expiresAt * 1000 <= Date.now() ? "expired" : "active";
      const item = el("li", { attrs: { "data-kid": key.kid, "data-state": state } }, [
        el("span", { className: "outcome", text: state }),
        el("span", { className: "what", text: `${key.kid.slice(0, 16)}…${key.thisBrowser ? " (this browser)" : ""}` }),
        el("span", { className: "when", text: `until ${new Date(key.expiresAt * 1000).toLocaleString()}` }),
      ]);
      if (state === "active") {
        const button = el("button", { text: "Revoke", attrs: { type: "button", "data-revoke": key.kid } });
        button.addEventListener("click", () => onRevoke(key.kid));
        item.append(button);
      }
      return item;
    }),
  );
}

async function saveConfig(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const config: TeamConfig = {
    keycloakUrl: byId<HTMLInputElement>("keycloak-url").value.trim(),
    realm: byId<HTMLInputElement>("realm").value.trim(),
    serverUrl: byId<HTMLInputElement>("server-url").value.trim(),
  };
  // An https address needs host access, which the browser grants only after its own prompt
  // naming the host: a second place where the human sees where sign-in will go.
  const origins = [config.keycloakUrl, config.serverUrl].filter((u) => u.startsWith("https:")).map((u) => `${new URL(u).origin}/*`);
  if (origins.length > 0 && !(await pageApis().permissions.request({ origins }))) {
    show("ERR_PERMISSION_DENIED: The browser did not grant access to those addresses; nothing was saved.", true);
    return;
  }
  const reply = await ask<TeamStatus>({ type: "team.configure", config });
  if (!reply.ok) show(`${reply.error.code}: ${reply.error.message}`, true);
  else {
    byId("config-note").textContent = "Saved. The toolbar popup shows these addresses.";
    location.reload();
  }
}

async function main(): Promise<void> {
  byId<HTMLFormElement>("config").addEventListener("submit", (event) => void saveConfig(event));
  const status = await readStatus();
  if (status === undefined) return;
  renderConfig(status.config);
  renderAccount(status, undefined);
  if (status.config === undefined) {
    byId<HTMLButtonElement>("register").disabled = true;
    show("Enter your organisation's Keycloak and hitl server addresses first (your admin has them).");
    return;
  }
  const config = status.config;
  const redirectUri = identityApi().getRedirectURL();
  dropRefreshTokens(`${config.keycloakUrl}/realms/${config.realm}/protocol/openid-connect/token`);
  const kc = new Keycloak({ url: config.keycloakUrl, realm: config.realm, clientId: status.clientId });
  const authenticated = await kc
    .init({
      adapter: webAuthFlowAdapter(kc, redirectUri),
      pkceMethod: "S256",
      checkLoginIframe: false,
      responseMode: "fragment",
      flow: "standard",
      useNonce: true,
      redirectUri,
    })
    .catch((error: unknown) => {
      show(
        `ERR_TEAM_LOGIN_FAILED: Sign-in failed (${error instanceof Error ? error.message : String(error)}). Check the Keycloak URL and try again.`,
        true,
      );
      return false;
    });
  renderAccount(status, kc);

  const refreshKeys = async (): Promise<void> => {
    if (!kc.authenticated || kc.token === undefined) return;
    const keys = await listKeys(config.serverUrl, kc.token, status.kid);
    if (keys.ok) renderKeys(keys.value, (kid) => void revoke(kid));
    else show(`${keys.code}: ${keys.message}`, true);
  };
  const revoke = async (kid: string): Promise<void> => {
    if (kc.token === undefined) return;
    const result = await revokeKey(config.serverUrl, kc.token, kid);
    if (!result.ok) show(`${result.code}: ${result.message}`, true);
    else {
      if (kid === status.kid) await ask({ type: "team.forget" });
      show("Key revoked.");
    }
    await refreshKeys();
  };

  byId("register").addEventListener("click", () => {
    // A registration needs a login no older than FRESH_LOGIN_SECONDS: ask Keycloak for one
    // (max_age) and force the password prompt, so a remembered SSO session is not enough.
    sessionStorage.setItem(PENDING_REGISTRATION, "1");
    void kc.login({ maxAge: FRESH_LOGIN_SECONDS, prompt: "login" }).catch((error: unknown) => {
      sessionStorage.removeItem(PENDING_REGISTRATION);
      show(`ERR_TEAM_LOGIN_FAILED: ${error instanceof Error ? error.message : String(error)}`, true);
    });
  });
  byId("refresh").addEventListener("click", () => void refreshKeys());
  byId("sign-out").addEventListener("click", () => {
    kc.clearToken();
    location.replace(location.pathname);
  });

  await answerCommandLine(config.serverUrl, kc, status.kid, refreshKeys);

  if (!authenticated) return;
  if (sessionStorage.getItem(PENDING_REGISTRATION) === "1") {
    sessionStorage.removeItem(PENDING_REGISTRATION);
    // The server checks auth_time too; checking here gives the human the clear message.
    const authTime = kc.tokenParsed?.auth_time;
    if (typeof authTime !== "number" || Date.now() / 1000 - authTime > FRESH_LOGIN_SECONDS) {
      show(
        `ERR_LOGIN_NOT_FRESH: Keycloak returned a login older than ${FRESH_LOGIN_SECONDS} s. Click the button again and enter your password.`,
        true,
      );
    } else {
      const result = await registerKey(config.serverUrl, kc);
      if (result.ok) {
        show(
          `Registered this browser's key for ${result.value.username}, valid until ${new Date(result.value.expiresAt * 1000).toLocaleString()}.`,
        );
        const fresh = await readStatus();
        if (fresh !== undefined) renderAccount(fresh, kc);
      } else show(`${result.code}: ${result.message}`, true);
    }
  }
  await refreshKeys();
}

interface CliView {
  requestId: string;
  op: "list" | "revoke";
  kid?: string;
}

/**
 * This window was opened for `hitl keys list|revoke` (background/team-cli.ts): say so, get a
 * login if there is none, then list (no click needed: the list is public, but the human sees it
 * was asked for) or ask the human to confirm revoking that exact kid. The answer to the worker
 * carries public facts only; the token stays here.
 */
async function answerCommandLine(
  serverUrl: string,
  kc: Keycloak,
  ownKid: string | undefined,
  refreshKeys: () => Promise<void>,
): Promise<void> {
  const signedIn = kc.authenticated === true && kc.token !== undefined;
  const reply = await ask<CliView | null>({ type: "team.cli.get", signedIn });
  if (!reply.ok || reply.value === null) return;
  const request = reply.value;
  const section = byId("cli");
  section.hidden = false;
  const fail = async (code: string, message: string) => {
    await ask({ type: "team.cli.fail", requestId: request.requestId, code, message });
    show(`${code}: ${message}`, true);
    for (const id of ["cli-sign-in", "cli-confirm", "cli-cancel"]) byId(id).hidden = true;
  };
  byId("cli-text").textContent =
    request.op === "list"
      ? "A program on this computer ran 'hitl keys list': it will receive the list of your registered keys (public facts, never your login)."
      : "A program on this computer ran 'hitl keys revoke': confirm only if you asked to revoke this key. A revoked key can never be used again.";
  if (request.kid !== undefined) byId("cli-kid").textContent = `Key ${request.kid}${request.kid === ownKid ? " (this browser)" : ""}`;
  const cancel = byId("cli-cancel");
  cancel.hidden = false;
  if (!signedIn) {
    const signIn = byId("cli-sign-in");
    signIn.hidden = false;
    signIn.addEventListener("click", () => {
      void kc
        .login({ prompt: "login" })
        .catch((error: unknown) => show(`ERR_TEAM_LOGIN_FAILED: ${error instanceof Error ? error.message : String(error)}`, true));
    });
    cancel.addEventListener(
      "click",
      () => void fail("ERR_TEAM_NOT_SIGNED_IN", "Nobody signed in in the team window; nothing was listed or revoked."),
    );
    return;
  }
  const token = kc.token as string;
  const listed = await listKeys(serverUrl, token, ownKid);
  if (!listed.ok) return fail(listed.code, listed.message);
  if (request.op === "list") {
    await ask({ type: "team.cli.listed", requestId: request.requestId, keys: listed.value });
    byId("cli-text").textContent = "Your registered keys were sent to 'hitl keys list' (public facts only).";
    cancel.hidden = true;
    return;
  }
  const kid = request.kid as string;
  if (!listed.value.some((key) => key.kid === kid)) {
    return fail("ERR_UNKNOWN_KEY", `You have no registered key ${kid}; nothing was revoked. 'hitl keys list' shows your keys.`);
  }
  const confirm = byId<HTMLButtonElement>("cli-confirm");
  confirm.hidden = false;
  cancel.addEventListener("click", () => void fail("ERR_KEYS_REVOKE_CANCELLED", "You cancelled in the team window; the key stays valid."));
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    cancel.hidden = true;
    const result = await revokeKey(serverUrl, token, kid);
    if (!result.ok) return fail(result.code, result.message);
    if (kid === ownKid) await ask({ type: "team.forget" });
    await ask({ type: "team.cli.revoked", requestId: request.requestId, kid });
    confirm.hidden = true;
    show("Key revoked.");
    byId("cli-text").textContent = "Revoked; 'hitl keys revoke' was told.";
    await refreshKeys();
  });
}

void main().catch((error: unknown) => show(`ERR_INTERNAL: ${error instanceof Error ? error.message : String(error)}`, true));
