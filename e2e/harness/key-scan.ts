import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/*
 * Looks for Ed25519 private keys in every file under a directory, by structure, with no help from
 * the code under test: the PKCS#8 header of an Ed25519 key (RFC 8410), in raw bytes, hex or
 * base64/base64url, and JWK "d" members; in 8-bit text and UTF-16LE. Each candidate seed is turned
 * into its public key with node:crypto; the caller compares that with the paired public key, so a
 * hit is a proof, not a pattern match.
 */
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
/*
 * The last 4 bytes of that prefix (OCTET STRING of 34 holding an OCTET STRING of 32). Firefox stores
 * IndexedDB values snappy-compressed: the start of the PKCS#8 prefix repeats the algorithm
 * identifier of the SPKI written just before it, and the compressor may replace it by a
 * back-reference, depending on its hash table, so the whole prefix is on disk only in some runs.
 * The seed and this tail stay literal (random bytes have nothing to match).
 */
const PKCS8_ED25519_TAIL = PKCS8_ED25519_PREFIX.subarray(-4);
const PREFIX_HEX = PKCS8_ED25519_PREFIX.toString("hex");
/** The first 21 base64 characters of the 16-byte prefix are the same whatever the seed. */
const PREFIX_BASE64 = PKCS8_ED25519_PREFIX.toString("base64").slice(0, 21);
const JWK_D = /"d"\s*:\s*"([A-Za-z0-9_-]{43})"/g;

export type SeedEncoding = "pkcs8-der" | "pkcs8-der-tail" | "pkcs8-hex" | "pkcs8-base64" | "jwk-d";

export interface FoundSeed {
  file: string;
  encoding: SeedEncoding;
  text: "bytes" | "utf16le";
  seed: Buffer;
  /** Raw 32-byte public key derived from the seed, base64url. */
  publicKey: string;
}

export function privateKeyFromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
}

function publicKeyOf(seed: Buffer): string {
  const jwk = createPublicKey(privateKeyFromSeed(seed)).export({ format: "jwk" });
  return String(jwk.x);
}

function allFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isDirectory()) files.push(...allFiles(path));
    else if (stat.isFile()) files.push(path);
  }
  return files;
}

function indexesOf(haystack: Buffer | string, needle: Buffer | string): number[] {
  const found: number[] = [];
  for (let at = haystack.indexOf(needle as never); at !== -1; at = haystack.indexOf(needle as never, at + 1)) found.push(at);
  return found;
}

function seedsInText(text: string): { encoding: SeedEncoding; seed: Buffer }[] {
  const seeds: { encoding: SeedEncoding; seed: Buffer }[] = [];
  const lower = text.toLowerCase();
  for (const at of indexesOf(lower, PREFIX_HEX)) {
    const hex = lower.slice(at + PREFIX_HEX.length, at + PREFIX_HEX.length + 64);
    if (/^[0-9a-f]{64}$/.test(hex)) seeds.push({ encoding: "pkcs8-hex", seed: Buffer.from(hex, "hex") });
  }
  for (const at of indexesOf(text, PREFIX_BASE64)) {
    const chunk = text
      .slice(at, at + 64)
      .replace(/-/g, "+")
      .replace(/_/g, "/");
    if (/^[A-Za-z0-9+/]{64}$/.test(chunk)) seeds.push({ encoding: "pkcs8-base64", seed: Buffer.from(chunk, "base64").subarray(16, 48) });
  }
  for (const match of text.matchAll(JWK_D)) seeds.push({ encoding: "jwk-d", seed: Buffer.from(match[1]!, "base64url") });
  return seeds;
}

/** Every Ed25519 seed found in any file under `dir`, with the public key each one makes. */
export function scanForEd25519Seeds(dir: string): FoundSeed[] {
  const found: FoundSeed[] = [];
  for (const file of allFiles(dir)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue; // removed while we walked (a running browser rotates its files)
    }
    const candidates: { encoding: SeedEncoding; text: FoundSeed["text"]; seed: Buffer }[] = [];
    for (const at of indexesOf(bytes, PKCS8_ED25519_PREFIX)) {
      const seed = bytes.subarray(at + 16, at + 48);
      if (seed.length === 32) candidates.push({ encoding: "pkcs8-der", text: "bytes", seed: Buffer.from(seed) });
    }
    for (const at of indexesOf(bytes, PKCS8_ED25519_TAIL)) {
      const whole = at >= 12 && bytes.subarray(at - 12, at + 4).equals(PKCS8_ED25519_PREFIX);
      const seed = bytes.subarray(at + 4, at + 36);
      if (!whole && seed.length === 32) candidates.push({ encoding: "pkcs8-der-tail", text: "bytes", seed: Buffer.from(seed) });
    }
    for (const item of seedsInText(bytes.toString("latin1"))) candidates.push({ ...item, text: "bytes" });
    for (const shift of [0, 1]) {
      for (const item of seedsInText(bytes.subarray(shift).toString("utf16le"))) candidates.push({ ...item, text: "utf16le" });
    }
    for (const candidate of candidates) {
      try {
        found.push({ file, ...candidate, publicKey: publicKeyOf(candidate.seed) });
      } catch {
        // not a usable key
      }
    }
  }
  return found;
}

/**
 * What an attacker with the profile's files does with a recovered seed: sign an approval of a
 * challenge of their own as the paired approver, and hand it to the real verifier with the real
 * approvers file. Returns the verifier's answer.
 */
export async function forgeApproval(seed: Buffer, approversFile: string, summary: string) {
  const { createChallenge } = await import("../../cli/dist/index.js");
  const { LocalKeyDirectory, verifyReceipt } = await import("../../verifier/dist/index.js");
  const { makeApprover, nowSeconds, signReceipt } = await import("../../verifier/dist/testing/index.js");
  const keys = await LocalKeyDirectory.open(approversFile);
  const publicKey = publicKeyOf(seed);
  const approver = keys.approvers.find((a) => Buffer.from(a.publicKey).toString("base64url") === publicKey);
  if (approver === undefined) throw new Error(`No approver in ${approversFile} has the public key ${publicKey}.`);
  const challenge = createChallenge({ action: { summary }, ttlSeconds: 60 });
  const receipt = signReceipt(challenge, makeApprover(approver.sub, privateKeyFromSeed(seed)), { decidedAt: nowSeconds() });
  return verifyReceipt(receipt, { aud: challenge.aud, challenge }, { keys, nonces: "offline-audit" });
}
