import { encodeBase64url, type KeyPolicy } from "@hitl/verifier/protocol";
import { keyIdOf } from "../lib/digest.js";

/*
 * The approver's Ed25519 key. The private half is created non-extractable and lives only as a
 * CryptoKey in IndexedDB (structured clone keeps it non-extractable; chrome.storage cannot hold a
 * CryptoKey). Nothing here ever exports, serializes or logs the private key.
 */
export interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** Raw 32-byte public key, base64url. */
  publicKeyRaw: string;
  /** RFC 7638 thumbprint. */
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

function isSigningKey(value: unknown): value is SigningKey {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<SigningKey>;
  return (
    v.privateKey instanceof CryptoKey &&
    v.publicKey instanceof CryptoKey &&
    typeof v.publicKeyRaw === "string" &&
    typeof v.kid === "string" &&
    (v.policy === "persistent" || v.policy === "session")
  );
}

export async function loadKey(): Promise<SigningKey | undefined> {
  const value = await withStore<unknown>("readonly", (store) => store.get(RECORD_ID));
  return isSigningKey(value) ? value : undefined;
}

/** Make a fresh key pair and store it, replacing any previous key. */
export async function generateKey(policy: KeyPolicy, nowMs = Date.now()): Promise<SigningKey> {
  // extractable=false applies to the private key; a public key is always exportable.
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const key: SigningKey = {
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    publicKeyRaw: encodeBase64url(raw),
    kid: await keyIdOf(raw),
    createdAt: Math.floor(nowMs / 1000),
    policy,
  };
  await withStore("readwrite", (store) => store.put(key, RECORD_ID));
  return key;
}

export async function deleteKey(): Promise<void> {
  await withStore("readwrite", (store) => store.delete(RECORD_ID));
}
