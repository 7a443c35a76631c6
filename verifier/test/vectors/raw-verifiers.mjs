/*
 * The two Ed25519 implementations the vector generators ask for raw verdicts (node:crypto and
 * @noble/ed25519), shared by generate.mjs and generate-pairings.mjs. A malformed key or signature
 * is a "false" verdict, never a throw.
 */
import { createHash, createPublicKey, verify as nodeVerify } from "node:crypto";
import * as ed from "@noble/ed25519";

ed.hashes.sha512 = (message) => new Uint8Array(createHash("sha512").update(message).digest());

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
