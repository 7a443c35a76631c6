#!/usr/bin/env node
/*
 * Regenerates key-registrations.json: team-mode key registration bodies (docs/protocol.md §3.8)
 * from FIXED inputs only (the RFC 8032 section 7.1 TEST 1 and 2 secret keys, fixed times, nonces
 * derived from each vector's name), so the extension's signer and any server can be checked
 * byte for byte. Run after `pnpm build`:
 *   node verifier/test/vectors/generate-key-registrations.mjs
 * Expected verdicts are written here by construction, never computed by the code under test.
 */
import { createHash, createPrivateKey, sign as nodeSign } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeBase64url, keyIdFromPublicKey, SIGNING_PREFIXES } from "../../dist/index.js";
import { canonicalize } from "../../dist/protocol/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const fromHex = (text) => new Uint8Array(Buffer.from(text, "hex"));

const KEYS = Object.fromEntries(
  [
    [
      "browser",
      "TEST 1",
      "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    ],
    [
      "other",
      "TEST 2",
      "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
      "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    ],
  ].map(([name, rfc8032, secret, pub]) => {
    const publicKey = fromHex(pub);
    const node = createPrivateKey({
      key: { kty: "OKP", crv: "Ed25519", d: encodeBase64url(fromHex(secret)), x: encodeBase64url(publicKey) },
      format: "jwk",
    });
    return [
      name,
      {
        name,
        rfc8032,
        secretKeyHex: secret,
        publicKeyHex: pub,
        publicKey: encodeBase64url(publicKey),
        kid: keyIdFromPublicKey(publicKey),
        node,
      },
    ];
  }),
);

const NOW = 1767225600; // 2026-01-01T00:00:00Z
const TOKEN = { sub: "5b0c3f5e-8a51-4c1e-9f0e-2d6a7c1b9e44", iss: "https://sso.example.com/realms/hitl" };
const SERVER = "https://hitl.example.com";
const nonceOf = (name) => encodeBase64url(createHash("sha256").update(`hitl key-registration vector ${name}`).digest());

function statementFor(name, key, overrides = {}) {
  return {
    aud: SERVER,
    exp: NOW + 60,
    iat: NOW - 5,
    iss: TOKEN.iss,
    kid: key.kid,
    nonce: nonceOf(name),
    publicKey: key.publicKey,
    sub: TOKEN.sub,
    v: 1,
    ...overrides,
  };
}

function signed(statement, signer, prefix = SIGNING_PREFIXES.keyRegistration) {
  const input = Buffer.from(prefix + canonicalize(statement), "utf8");
  return { input, sig: encodeBase64url(nodeSign(null, input, signer.node)) };
}

const { browser, other } = KEYS;
const vectors = [];
function add(name, description, statement, signer, expect, prefix) {
  const { input, sig } = signed(statement, signer, prefix);
  vectors.push({ name, description, body: { statement, sig }, signingInputHex: input.toString("hex"), expect });
}

add("registered", "The browser's key signs its own registration for the signed-in user.", statementFor("registered", browser), browser, {
  valid: true,
});
add(
  "signed-by-another-key",
  "The statement names the browser's key but another key signed it: no proof of possession.",
  statementFor("signed-by-another-key", browser),
  other,
  { valid: false, code: "ERR_BAD_SIGNATURE" },
);
add(
  "pairing-prefix",
  "Signed by the right key with the pairing prefix: domain separation refuses it.",
  statementFor("pairing-prefix", browser),
  browser,
  { valid: false, code: "ERR_BAD_SIGNATURE" },
  SIGNING_PREFIXES.pairing,
);
add("kid-of-another-key", "kid is another key's thumbprint.", statementFor("kid-of-another-key", browser, { kid: other.kid }), browser, {
  valid: false,
  code: "ERR_KEY_ID_MISMATCH",
});
add(
  "another-user",
  "A statement for another user than the token's sub.",
  statementFor("another-user", browser, { sub: "0f0e0d0c-0000-4000-8000-000000000000" }),
  browser,
  { valid: false, code: "ERR_REGISTRATION_SUBJECT_MISMATCH" },
);
add(
  "another-server",
  "A statement for another hitl server.",
  statementFor("another-server", browser, { aud: "https://hitl.other.example" }),
  browser,
  { valid: false, code: "ERR_REGISTRATION_AUDIENCE_MISMATCH" },
);
add(
  "another-realm",
  "A statement naming another issuer than the token's.",
  statementFor("another-realm", browser, { iss: "https://sso.example.com/realms/other" }),
  browser,
  { valid: false, code: "ERR_REGISTRATION_ISSUER_MISMATCH" },
);
add(
  "expired",
  "exp + 30 s skew is before the verification time.",
  statementFor("expired", browser, { iat: NOW - 200, exp: NOW - 31 }),
  browser,
  { valid: false, code: "ERR_EXPIRED" },
);
add("lifetime-too-long", "exp - iat is more than 300 s.", statementFor("lifetime-too-long", browser, { exp: NOW - 5 + 301 }), browser, {
  valid: false,
  code: "ERR_MALFORMED",
});

const out = {
  description: "hitl key registration vectors (docs/protocol.md §3.8). Generated by generate-key-registrations.mjs.",
  protocol: 1,
  verifyAt: NOW,
  skewSeconds: 30,
  token: TOKEN,
  serverUrl: SERVER,
  keys: Object.values(KEYS).map(({ name, rfc8032, secretKeyHex, publicKeyHex, publicKey, kid }) => ({
    name,
    rfc8032,
    secretKeyHex,
    publicKeyHex,
    publicKey,
    kid,
  })),
  vectors,
};
writeFileSync(join(HERE, "key-registrations.json"), `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${vectors.length} key registration vectors`);
