#!/usr/bin/env node
/*
 * Regenerates pairings.json: pairing statements (docs/protocol.md §3.5) with the window's
 * confirmation code bound in, and what a person typed, from FIXED inputs only: the RFC 8032
 * section 7.1 TEST 1 and 2 secret keys, fixed times, ids and nonces derived from each vector's
 * name. Run after `pnpm build` (generate.mjs runs it too):
 *   node verifier/test/vectors/generate-pairings.mjs
 * Expected verdicts are written here by construction, never computed by the verifier under test.
 */
import { sign as nodeSign } from "node:crypto";
import {
  encodeBase64url,
  PAIRING_CONFIRMATION_ALPHABET,
  PAIRING_CONFIRMATION_LENGTH,
  pairingCodeDigest,
  pairingRequestDigest,
} from "../../dist/index.js";
import { canonicalize, signingInput } from "../../dist/protocol/index.js";
import { derivedFrom, hex, NOW, nobleVerify, nodeRawVerify, rfcKey, SKEW, writeVectors } from "./vector-kit.mjs";

/** RFC 8032 section 7.1 TEST 1 (the browser's key, "alice") and TEST 2 (a squatting host's own key). */
const KEYS = { alice: { name: "alice", ...rfcKey(1) }, squatter: { name: "squatter", ...rfcKey(2) } };

const { seeded, uuidFor } = derivedFrom("hitl pairing vector");

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
process.stdout.write(`wrote ${vectors.length} pairing vectors to ${writeVectors("pairings.json", file)}\n`);
