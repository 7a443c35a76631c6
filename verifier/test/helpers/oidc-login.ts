import { createHash, randomBytes } from "node:crypto";

/**
 * The browser side of an Authorization Code + PKCE login, over plain HTTP with a cookie jar (the
 * stand-in's login page is a username/password form). For tests of the stand-in's OIDC half;
 * the extension's real login runs in Chromium (e2e).
 */
export class OidcBrowser {
  readonly #cookies = new Map<string, string>();

  async get(url: string): Promise<Response> {
    return this.#send(url, { method: "GET" });
  }

  async post(url: string, form: Record<string, string>): Promise<Response> {
    return this.#send(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    });
  }

  async #send(url: string, init: RequestInit): Promise<Response> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }

  /**
   * Follows redirects from `url` until one leaves for `stopAt` (the redirect URI, never fetched:
   * a browser's identity API intercepts it) or a page is shown. Returns that last location or page.
   */
  async follow(url: string, stopAt: string): Promise<{ redirect?: URL; page?: string; status: number }> {
    let next = url;
    for (let hops = 0; hops < 10; hops++) {
      if (next.startsWith(stopAt)) return { redirect: new URL(next), status: 303 };
      const response = await this.get(next);
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location !== null) {
        next = new URL(location, next).href;
        continue;
      }
      return { page: await response.text(), status: response.status };
    }
    throw new Error("too many redirects");
  }

  /** Submits the login form shown on `page` (from `pageUrl`). */
  async login(page: string, pageUrl: string, username: string, password: string, stopAt: string) {
    const action = /<form id="kc-form-login" method="post" action="([^"]+)"/.exec(page)?.[1];
    if (action === undefined) throw new Error(`no login form on the page: ${page.slice(0, 300)}`);
    const target = new URL(action.replaceAll("&amp;", "&"), pageUrl).href;
    const response = await this.post(target, { username, password });
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location !== null) return this.follow(new URL(location, target).href, stopAt);
    return { page: await response.text(), status: response.status };
  }
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(header!, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")),
  };
}
