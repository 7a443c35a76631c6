import { encodeBase64url, type KeyPolicy } from "@hitl/verifier/protocol";
import { keyIdOf } from "../lib/digest.js";
import { cryptoKeySigner, type Signer } from "./signer.js";

/*
 * The persistent key. The private half is created non-extractable and kept as a CryptoKey in
 * IndexedDB (structured clone keeps it non-extractable; chrome.storage cannot hold a CryptoKey).
 * Nothing here ever exports, serializes or logs the private key. But IndexedDB is a file in the
 * browser profile, and the browser writes the key's PKCS#8 bytes there in the clear:
 * `extractable: false` stops page script from exporting it, not the same OS user from copying
 * the profile. The session key (session-key.ts) is never stored.
 */
export interface SigningKey extends Signer {
  createdAt: number;
  policy: KeyPolicy;
}

/** What IndexedDB holds for the persistent key. */
interface StoredKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicKeyRaw: string;
  kid: string;
  createdAt: number;
  policy: KeyPolicy;
}

const DB_NAME = "hitl";
const DB_VERSION = 1;
const STORE = "keys";
const RECORD_ID = "approver";

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB could not be opened."));
  });
}

async function withStore<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed."));
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted."));
    });
  } finally {
    db.close();
  }
}

function isStoredKey(value: unknown): value is StoredKey {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<StoredKey>;
  return (
    v.privateKey instanceof CryptoKey &&
    v.publicKey instanceof CryptoKey &&
    typeof v.publicKeyRaw === "string" &&
    typeof v.kid === "string" &&
    typeof v.createdAt === "number" &&
    (v.policy === "persistent" || v.policy === "session")
  );
}

function signingKeyOf(stored: StoredKey): SigningKey {
  const { publicKeyRaw, kid, createdAt } = stored;
  return { publicKeyRaw, kid, createdAt, policy: "persistent", sign: cryptoKeySigner(stored.privateKey) };
}

/**
 * The persistent key, if IndexedDB holds one. A record an older version stored with policy
 * `session` (it was on disk all the same) is not used: that key may be on disk, it is not one.
 */
export async function loadKey(): Promise<SigningKey | undefined> {
  const value = await withStore<unknown>("readonly", (store) => store.get(RECORD_ID));
  return isStoredKey(value) && value.policy === "persistent" ? signingKeyOf(value) : undefined;
}

/** Make a fresh persistent key pair and store it, replacing any previous key. */
export async function generateKey(nowMs = Date.now()): Promise<SigningKey> {
  // extractable=false applies to the private key; a public key is always exportable.
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const stored: StoredKey = {
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicKeyRaw: encodeBase64url(raw),
    kid: await keyIdOf(raw),
    createdAt: Math.floor(nowMs / 1000),
    policy: "persistent",
  };
  await withStore("readwrite", (store) => store.put(stored, RECORD_ID));
  return signingKeyOf(stored);
}

export async function deleteKey(): Promise<void> {
  await withStore("readwrite", (store) => store.delete(RECORD_ID));
}
