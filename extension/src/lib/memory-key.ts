import { decodeBase64url, encodeBase64url, HitlError } from "@hitl/verifier/protocol";
import { keyIdOf } from "./digest.js";

/** The public facts of a session key; the private half never leaves the MemoryKey that made it. */
export interface SessionKeyInfo {
  /** Raw 32-byte public key, base64url. */
  publicKeyRaw: string;
  /** RFC 7638 thumbprint. */
  kid: string;
  createdAt: number;
}

export const SESSION_KEY_ENDED_MESSAGE =
  "The paired key was a session key, held in the browser's memory only, and it ended when the browser (or the extension) " +
  "stopped: run `hitl pair --key-lifetime session` to pair a new one, or `hitl pair` for a key kept across restarts.";

/*
 * A session key: a non-extractable Ed25519 CryptoKey held in this JS heap only. It is never put in
 * IndexedDB, storage or a message, so nothing writes it to disk, and no script (ours included)
 * can read its bytes; it goes with the document that holds it. Chromium: the offscreen document
 * (it outlives service-worker restarts); Firefox: the event page (kept alive by the native port).
 */
export class MemoryKey {
  #key: { privateKey: CryptoKey; info: SessionKeyInfo } | undefined;

  info(): SessionKeyInfo | undefined {
    return this.#key?.info;
  }

  /** Make a fresh key, replacing (and forgetting) any previous one. */
  async create(nowMs = Date.now()): Promise<SessionKeyInfo> {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    const info: SessionKeyInfo = { publicKeyRaw: encodeBase64url(raw), kid: await keyIdOf(raw), createdAt: Math.floor(nowMs / 1000) };
    this.#key = { privateKey: pair.privateKey, info };
    return info;
  }

  /** Sign base64url bytes, answer a base64url signature; fails closed once the key is gone. */
  async sign(bytes: string): Promise<string> {
    if (this.#key === undefined) throw new HitlError("ERR_SESSION_KEY_ENDED", SESSION_KEY_ENDED_MESSAGE);
    const data = decodeBase64url(bytes, "bytes") as Uint8Array<ArrayBuffer>;
    return encodeBase64url(new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, this.#key.privateKey, data)));
  }

  drop(): void {
    this.#key = undefined;
  }
}
