import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { scanForEd25519Seeds } from "./key-scan.js";

/*
 * The scanner the key-at-rest tests rely on: a control that finds nothing proves nothing, so the
 * scanner itself is checked on every encoding it claims, including the form Firefox's
 * snappy-compressed IndexedDB values can take.
 */
const PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function freshKey(): { seed: Buffer; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  return { seed: Buffer.from(der.subarray(16)), publicKey: String(publicKey.export({ format: "jwk" }).x) };
}

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function scan(files: Record<string, Buffer | string>) {
  dir = mkdtempSync(join(tmpdir(), "hitl-key-scan-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return scanForEd25519Seeds(dir).map((found) => ({ encoding: found.encoding, text: found.text, publicKey: found.publicKey }));
}

describe("scanForEd25519Seeds", () => {
  test("raw PKCS#8, hex, base64url and a JWK d member are each found and proven by their public key", () => {
    const keys = [freshKey(), freshKey(), freshKey(), freshKey()];
    const [der, hex, b64, jwk] = keys as [
      ReturnType<typeof freshKey>,
      ReturnType<typeof freshKey>,
      ReturnType<typeof freshKey>,
      ReturnType<typeof freshKey>,
    ];
    const found = scan({
      der: Buffer.concat([randomBytes(100), PREFIX, der.seed, randomBytes(100)]),
      hex: `x${Buffer.concat([PREFIX, hex.seed]).toString("hex")}y`,
      b64: `"${Buffer.concat([PREFIX, b64.seed]).toString("base64url")}"`,
      jwk: Buffer.from(`{"kty":"OKP","crv":"Ed25519","d":"${jwk.seed.toString("base64url")}"}`, "utf16le"),
    });
    expect(found).toContainEqual({ encoding: "pkcs8-der", text: "bytes", publicKey: der.publicKey });
    expect(found).toContainEqual({ encoding: "pkcs8-hex", text: "bytes", publicKey: hex.publicKey });
    expect(found).toContainEqual({ encoding: "pkcs8-base64", text: "bytes", publicKey: b64.publicKey });
    expect(found).toContainEqual({ encoding: "jwk-d", text: "utf16le", publicKey: jwk.publicKey });
    // A whole prefix is reported once, as pkcs8-der, not again as its tail.
    expect(found.filter((f) => f.publicKey === der.publicKey)).toEqual([
      { encoding: "pkcs8-der", text: "bytes", publicKey: der.publicKey },
    ]);
  });

  test("a prefix whose algorithm identifier was compressed into a back-reference is still found by its tail", () => {
    const key = freshKey();
    // An SPKI first, then the PKCS#8 with "300506032b6570" replaced by a snappy copy tag (length 7, offset 2 bytes).
    const spki = Buffer.from("302a300506032b6570032100", "hex");
    const copyTag = Buffer.from([((7 - 1) << 2) | 2, 0x30, 0x00]);
    const file = Buffer.concat([
      spki,
      randomBytes(32),
      Buffer.from("302e020100", "hex"),
      copyTag,
      Buffer.from([0x48]),
      PREFIX.subarray(-4),
      key.seed,
    ]);
    expect(scan({ idb: file })).toContainEqual({ encoding: "pkcs8-der-tail", text: "bytes", publicKey: key.publicKey });
  });
});
