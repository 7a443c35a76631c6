/*
 * What the vector generators (generate.mjs, generate-pairings.mjs, generate-key-registrations.mjs)
 * share: the fixed inputs (the RFC 8032 section 7.1 keys, the verification time), ids and nonces
 * derived from a vector's name, writing a vectors file, and the raw verdicts of the two Ed25519
 * implementations they ask (node:crypto and @noble/ed25519). A malformed key or signature is a
 * "false" verdict, never a throw.
 */
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ed from "@noble/ed25519";
import { encodeBase64url, keyIdFromPublicKey } from "../../dist/index.js";

ed.hashes.sha512 = (message) => new Uint8Array(createHash("sha512").update(message).digest());

export const NOW = 1767225600; // 2026-01-01T00:00:00Z: the verification time of every vector
export const SKEW = 30;

export const hex = (bytes) => Buffer.from(bytes).toString("hex");
export const fromHex = (text) => new Uint8Array(Buffer.from(text, "hex"));

/** RFC 8032 section 7.1, TEST 1, 2 and 3. */
export const RFC8032 = [
  {
    name: "TEST 1",
    secretKey: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    name: "TEST 2",
    secretKey: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    name: "TEST 3",
    secretKey: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature:
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

export function nodePrivateKey(secretHex, publicHex) {
  return createPrivateKey({
    key: { kty: "OKP", crv: "Ed25519", d: encodeBase64url(fromHex(secretHex)), x: encodeBase64url(fromHex(publicHex)) },
    format: "jwk",
  });
}

// Sanity: node:crypto reproduces the RFC's own signatures with the RFC's keys, and noble its public keys.
for (const t of RFC8032) {
  const sig = nodeSign(null, fromHex(t.message), nodePrivateKey(t.secretKey, t.publicKey));
  if (hex(sig) !== t.signature) throw new Error(`node:crypto does not reproduce RFC 8032 ${t.name}`);
  if (hex(ed.getPublicKey(fromHex(t.secretKey))) !== t.publicKey) throw new Error(`noble disagrees on the ${t.name} public key`);
}

/** The RFC 8032 TEST `n` key (1, 2 or 3) as the generators sign with it. */
export function rfcKey(n) {
  const t = RFC8032[n - 1];
  const publicKey = fromHex(t.publicKey);
  return {
    rfc8032: t.name,
    secret: t.secretKey,
    publicKey,
    kid: keyIdFromPublicKey(publicKey),
    node: nodePrivateKey(t.secretKey, t.publicKey),
  };
}

/** Bytes, and a version-4 UUID, derived from a vector's name under `domain` (so each file has its own). */
export function derivedFrom(domain) {
  const seeded = (name, label) => createHash("sha256").update(`${domain}/${label}/${name}`).digest();
  const uuidFor = (name) => {
    const b = seeded(name, "id");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = b.subarray(0, 16).toString("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  };
  return { seeded, uuidFor };
}

/** Writes `content` as the vectors file `fileName` next to the generators; returns its path. */
export function writeVectors(fileName, content) {
  const path = join(dirname(fileURLToPath(import.meta.url)), fileName);
  writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`);
  return path;
}

export function nodeRawVerify(publicKey, data, signature) {
  try {
    const key = createPublicKey({
      key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), publicKey]),
      format: "der",
      type: "spki",
    });
    return nodeVerify(null, data, key, signature);
  } catch {
    return false;
  }
}

export function nobleVerify(publicKey, data, signature) {
  try {
    return ed.verify(signature, data, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
