import { encodeBase64url, errorFromWire, HitlError } from "@hitl/verifier/protocol";
import browser, { BROWSER_FAMILY } from "../lib/browser.js";
import { MemoryKey, SESSION_KEY_ENDED_MESSAGE, type SessionKeyInfo } from "../lib/memory-key.js";
import { OFFSCREEN_TARGET, type OffscreenRequest, type OffscreenResponse } from "../lib/offscreen-messages.js";
import type { SigningKey } from "./key-store.js";

/*
 * Where the session key lives: memory only, never IndexedDB or storage (see lib/memory-key.ts).
 *
 * Chromium stops an idle service worker and its heap with it, so the key lives in an offscreen
 * document, which the browser does not stop; the worker asks it to sign. Firefox has no offscreen
 * API, and needs none: its MV3 background is an event page, kept alive while the native port is
 * open, so the key lives in the background's own heap. If Firefox unloads the event page anyway
 * (no host for a long while), the key ends early: requests fail closed with
 * ERR_SESSION_KEY_ENDED until `hitl pair` makes a new one.
 */
export interface SessionKeyHolder {
  /** The key held now, if any (after a browser restart: none). */
  current(): Promise<SigningKey | undefined>;
  /** Make a new key, replacing any previous one. */
  create(): Promise<SigningKey>;
  /** Forget the key. */
  drop(): Promise<void>;
}

function signingKeyOf(info: SessionKeyInfo, sign: (bytes: string) => Promise<string>): SigningKey {
  return {
    ...info,
    policy: "session",
    sign: async (bytes) => sign(encodeBase64url(bytes)),
  };
}

/* ---- Firefox: the event page's own heap ---- */

class InPageHolder implements SessionKeyHolder {
  readonly #key = new MemoryKey();

  async current(): Promise<SigningKey | undefined> {
    const info = this.#key.info();
    return info === undefined ? undefined : signingKeyOf(info, (bytes) => this.#key.sign(bytes));
  }

  async create(): Promise<SigningKey> {
    return signingKeyOf(await this.#key.create(), (bytes) => this.#key.sign(bytes));
  }

  async drop(): Promise<void> {
    this.#key.drop();
  }
}

/* ---- Chromium: the offscreen document ---- */

declare const chrome: {
  offscreen: {
    hasDocument(): Promise<boolean>;
    createDocument(parameters: { url: string; reasons: string[]; justification: string }): Promise<void>;
    closeDocument(): Promise<void>;
  };
};

const OFFSCREEN_URL = "src/offscreen/offscreen.html";

class OffscreenHolder implements SessionKeyHolder {
  #creating: Promise<void> | undefined;

  async current(): Promise<SigningKey | undefined> {
    if (!(await chrome.offscreen.hasDocument())) return undefined;
    const { info } = await this.#ask({ target: OFFSCREEN_TARGET, op: "info" });
    return info === undefined ? undefined : this.#keyOf(info);
  }

  async create(): Promise<SigningKey> {
    await this.#ensureDocument();
    const { info } = await this.#ask({ target: OFFSCREEN_TARGET, op: "create" });
    if (info === undefined) throw new HitlError("ERR_INTERNAL", "The offscreen document made no session key.");
    return this.#keyOf(info);
  }

  async drop(): Promise<void> {
    // Closing the document frees its heap, and the key with it.
    if (await chrome.offscreen.hasDocument()) await chrome.offscreen.closeDocument();
  }

  #keyOf(info: SessionKeyInfo): SigningKey {
    return signingKeyOf(info, async (bytes) => {
      // No document means the key is gone; never make a new document (and key) to sign.
      if (!(await chrome.offscreen.hasDocument())) throw new HitlError("ERR_SESSION_KEY_ENDED", SESSION_KEY_ENDED_MESSAGE);
      const { sig, info: held } = await this.#ask({ target: OFFSCREEN_TARGET, op: "sign", bytes });
      if (sig === undefined || held !== undefined)
        throw new HitlError("ERR_INTERNAL", "The offscreen document answered without a signature.");
      return sig;
    });
  }

  async #ensureDocument(): Promise<void> {
    if (await chrome.offscreen.hasDocument()) return;
    this.#creating ??= chrome.offscreen
      .createDocument({
        url: OFFSCREEN_URL,
        // No reason names "hold a key"; WORKERS is the closest (a long-lived helper context).
        reasons: ["WORKERS"],
        justification: "Holds the session signing key in memory only, so it survives service-worker restarts and never touches disk.",
      })
      .finally(() => {
        this.#creating = undefined;
      });
    await this.#creating;
  }

  async #ask(request: OffscreenRequest): Promise<Extract<OffscreenResponse, { ok: true }>> {
    const response = (await browser.runtime.sendMessage(request)) as OffscreenResponse | undefined;
    if (response === undefined || typeof response !== "object") {
      throw new HitlError("ERR_SESSION_KEY_ENDED", SESSION_KEY_ENDED_MESSAGE);
    }
    if (!response.ok) throw errorFromWire(response.error);
    return response;
  }
}

export const sessionKeys: SessionKeyHolder = BROWSER_FAMILY === "firefox" ? new InPageHolder() : new OffscreenHolder();
