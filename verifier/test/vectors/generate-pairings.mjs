#!/usr/bin/env node
/*
 * Regenerates pairings.json: pairing statements (docs/protocol.md §3.5) with the window's
 * confirmation code bound in, and what a person typed, from FIXED inputs only: the RFC 8032
 * section 7.1 TEST 1 and 2 secret keys, fixed times, ids and nonces derived from each vector's
 * name. Run after `pnpm build` (generate.mjs runs it too):
 *   node verifier/test/vectors/generate-pairings.mjs
 * Expected verdicts are written here by construction, never computed by the verifier under test.
 */
import { createHash, createPrivateKey, sign as nodeSign } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ed from "@noble/ed25519";
import {
  encodeBase64url,
  keyIdFromPublicKey,
  PAIRING_CONFIRMATION_ALPHABET,
  PAIRING_CONFIRMATION_LENGTH,
  pairingCodeDigest,
  pairingRequestDigest,
} from "../../dist/index.js";
import { canonicalize, signingInput } from "../../dist/protocol/index.js";
import { nobleVerify, nodeRawVerify } from "./raw-verifiers.mjs";

ed.hashes.sha512 = (message) => new Uint8Array(createHash("sha512").update(message).digest());

const HERE = dirname(fileURLToPath(import.meta.url));
const hex = (bytes) => Buffer.from(bytes).toString("hex");
const fromHex = (text) => new Uint8Array(Buffer.from(text, "hex"));

/** RFC 8032 section 7.1 TEST 1 (the browser's key, "alice") and TEST 2 (a squatting host's own key). */
const KEYS = Object.fromEntries(
  [
    [
      "alice",
      "TEST 1",
      "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    ],
    [
      "squatter",
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
    if (hex(ed.getPublicKey(fromHex(secret))) !== pub) throw new Error(`noble disagrees on the ${rfc8032} public key`);
    return [name, { name, rfc8032, secret, publicKey, kid: keyIdFromPublicKey(publicKey), node }];
  }),
);

const NOW = 1767225600; // 2026-01-01T00:00:00Z: the verification time of every vector
const SKEW = 30;

function seeded(name, label) {
  return createHash("sha256").update(`hitl pairing vector/${label}/${name}`).digest();
}
function uuidFor(name) {
  const b = seeded(name, "id");
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function makeRequest(name, overrides = {}) {
  return {
    v: 1,
    id: uuidFor(name),
    nonce: encodeBase64url(seeded(name, "nonce")),
    code: "382-915",
    subject: "alice",
    aud: "hitl-cli",
    iat: NOW - 60,
    exp: NOW + 60,
    requester: { tool: "hitl-cli", host: "build-01", pid: 4242, cwd: "/home/alice/project" },
    ...overrides,
  };
}

const vectors = [];

/**
 * One vector. The statement binds `windowCode` (what the window showed) unless `statementPatch`
 * changes it; `signer` signs `kind`'s signing input; `typed` is what the person typed.
 */
function add({
  name,
  description,
  request = makeRequest(name),
  windowCode,
  signer = KEYS.alice,
  claimed = signer,
  kind = "pairing",
  statementPatch,
  typed,
  expect,
}) {
  const requestDigest = pairingRequestDigest(request);
  let statement = {
    v: 1,
    request: requestDigest,
    sub: request.subject,
    kid: claimed.kid,
    publicKey: encodeBase64url(claimed.publicKey),
    pairedAt: NOW - 40,
    codeDigest: pairingCodeDigest(windowCode, requestDigest),
  };
  if (statementPatch) statement = statementPatch(statement);
  const input = signingInput("pairing", statement);
  const signed = signingInput(kind, statement);
  const signature = new Uint8Array(nodeSign(null, signed, signer.node));
  vectors.push({
    name,
    description,
    request,
    requestJcs: canonicalize(request),
    requestDigest,
    windowCode,
    codeDigestInputJcs: canonicalize({ code: windowCode, request: requestDigest }),
    statement,
    statementJcs: canonicalize(statement),
    signingInputHex: hex(input),
    ...(kind !== "pairing" && { signedBytesHex: hex(signed) }),
    signature: encodeBase64url(signature),
    ed25519: {
      publicKeyHex: hex(claimed.publicKey),
      signatureHex: hex(signature),
      nodeCryptoRaw: nodeRawVerify(claimed.publicKey, input, signature),
      nobleStrict: nobleVerify(claimed.publicKey, input, signature),
    },
    response: { statement, sig: encodeBase64url(signature) },
    typed,
    expect,
  });
}

const approver = (statementOf) => ({
  valid: true,
  approver: { sub: "alice", kid: KEYS.alice.kid, publicKey: encodeBase64url(KEYS.alice.publicKey), pairedAt: NOW - 40 },
  ...statementOf,
});

/* ---------- valid: the real window's code, typed ---------- */
add({
  name: "paired",
  description: "The browser's key, the code its window showed, typed as shown.",
  windowCode: "KPTWRM",
  typed: "KPT-WRM",
  expect: approver(),
});
add({
  name: "paired-typed-loosely",
  description: "Typed in lower case with a space and a line ending: the only normalization (spaces, hyphens, ASCII case).",
  windowCode: "BZXHQD",
  typed: " bzx hqd\r\n",
  expect: approver(),
});
add({
  name: "paired-non-ascii-subject",
  description: "A subject with combining marks, emoji and Hebrew: JCS of the request, signed as given.",
  request: makeRequest("paired-non-ascii-subject", { subject: "zoe\u0301 🧑🏽 אבי" }),
  windowCode: "MNPQRS",
  typed: "MNP-QRS",
  expect: {
    valid: true,
    approver: { sub: "zoe\u0301 🧑🏽 אבי", kid: KEYS.alice.kid, publicKey: encodeBase64url(KEYS.alice.publicKey), pairedAt: NOW - 40 },
  },
});

/* ---------- refused when the code is typed (confirmPairingCode) ---------- */
const MISMATCH = { valid: false, code: "ERR_PAIRING_CODE_MISMATCH", step: "confirmPairingCode" };
add({ name: "code-typo", description: "One letter off the window's code.", windowCode: "KPTWRM", typed: "KPT-WRN", expect: MISMATCH });
add({
  name: "squatter-own-key",
  description:
    "A fake host (no browser, no window) signs the request with its own key and commits to a code it chose; the person, who saw no window code, types a guess.",
  signer: KEYS.squatter,
  windowCode: "QQQQQQ",
  typed: "BCD-FGH",
  expect: MISMATCH,
});
add({
  name: "squatter-commits-terminal-code",
  description:
    "A fake host commits to the terminal's own code (it is in the request it received); the person types that code. Refused: window codes are letters, never the terminal's digits.",
  signer: KEYS.squatter,
  windowCode: "382915",
  typed: "382-915",
  expect: MISMATCH,
});
add({
  name: "code-bound-to-other-request",
  description: "The right code, but its digest was made with another request digest: the code is bound to the request it answers.",
  windowCode: "KPTWRM",
  statementPatch: (s) => ({ ...s, codeDigest: pairingCodeDigest("KPTWRM", pairingRequestDigest(makeRequest("another request"))) }),
  typed: "KPT-WRM",
  expect: MISMATCH,
});
add({
  name: "typed-vowels",
  description: "Not from the alphabet (vowels): cannot be a window code.",
  windowCode: "KPTWRM",
  typed: "KAT-WRM",
  expect: MISMATCH,
});

/* ---------- refused before any code is asked for (verifyPairing) ---------- */
add({
  name: "request-mismatch",
  description: "The statement answers another pairing request.",
  windowCode: "KPTWRM",
  statementPatch: (s) => ({ ...s, request: pairingRequestDigest(makeRequest("another request")) }),
  typed: "KPT-WRM",
  expect: { valid: false, code: "ERR_CHALLENGE_MISMATCH", step: "verifyPairing" },
});
add({
  name: "wrong-prefix",
  description: "Signed with the DECISION prefix: a signature never crosses statement kinds.",
  windowCode: "KPTWRM",
  kind: "decision",
  typed: "KPT-WRM",
  expect: { valid: false, code: "ERR_BAD_SIGNATURE", step: "verifyPairing" },
});
add({
  name: "claims-another-key",
  description: "Names alice's key, signed by the squatter's: no proof of possession.",
  signer: KEYS.squatter,
  claimed: KEYS.alice,
  windowCode: "KPTWRM",
  typed: "KPT-WRM",
  expect: { valid: false, code: "ERR_BAD_SIGNATURE", step: "verifyPairing" },
});
add({
  name: "kid-mismatch",
  description: "kid is not the thumbprint of publicKey.",
  windowCode: "KPTWRM",
  statementPatch: (s) => ({ ...s, kid: KEYS.squatter.kid }),
  typed: "KPT-WRM",
  expect: { valid: false, code: "ERR_KEY_ID_MISMATCH", step: "verifyPairing" },
});
add({
  name: "no-code-digest",
  description: "A validly signed statement without codeDigest (the form before the window code existed): malformed.",
  windowCode: "KPTWRM",
  statementPatch: ({ codeDigest: _dropped, ...rest }) => rest,
  typed: "KPT-WRM",
  expect: { valid: false, code: "ERR_MALFORMED", step: "verifyPairing" },
});
add({
  name: "expired",
  description: "The request expired (exp + skew) before verifyAt.",
  request: makeRequest("expired", { iat: NOW - 300, exp: NOW - 31 }),
  windowCode: "KPTWRM",
  statementPatch: (s) => ({ ...s, pairedAt: NOW - 200 }),
  typed: "KPT-WRM",
  expect: { valid: false, code: "ERR_EXPIRED", step: "verifyPairing" },
});

const names = new Set();
for (const v of vectors) {
  if (names.has(v.name)) throw new Error(`duplicate vector name ${v.name}`);
  names.add(v.name);
}
const file = {
  description:
    "hitl pairing vectors (docs/protocol.md §3.5): statements binding the pairing window's confirmation code, and what a person typed. Generated by generate-pairings.mjs; see README.md.",
  protocol: 1,
  verifyAt: NOW,
  skewSeconds: SKEW,
  confirmation: { alphabet: PAIRING_CONFIRMATION_ALPHABET, length: PAIRING_CONFIRMATION_LENGTH },
  keys: Object.values(KEYS).map((k) => ({
    name: k.name,
    rfc8032: k.rfc8032,
    secretKeyHex: k.secret,
    publicKeyHex: hex(k.publicKey),
    kid: k.kid,
  })),
  vectors,
};
writeFileSync(join(HERE, "pairings.json"), `${JSON.stringify(file, null, 2)}\n`);
process.stdout.write(`wrote ${vectors.length} pairing vectors to ${join(HERE, "pairings.json")}\n`);
