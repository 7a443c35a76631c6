#!/usr/bin/env node
/*
 * Regenerates receipts.json from FIXED inputs: the RFC 8032 section 7.1 TEST 1/2/3 secret keys,
 * fixed times, nonces and ids derived from each vector's name. Run after `pnpm build`:
 *   node verifier/test/vectors/generate.mjs
 * The output is deterministic (Ed25519 signatures are); committing it lets anyone check an
 * independent verifier against the same bytes. Expected verdicts are written here by
 * construction, never computed by the verifier under test. See README.md for the format.
 */
import { createHash, sign as nodeSign } from "node:crypto";
import * as ed from "@noble/ed25519";
import { challengeDigest, decodeBase64url, encodeBase64url, intentDigest, keyIdFromPublicKey, SIGNING_PREFIXES } from "../../dist/index.js";
import { canonicalize, signingInput } from "../../dist/protocol/index.js";
import { derivedFrom, fromHex, hex, NOW, nobleVerify, nodeRawVerify, RFC8032, rfcKey, SKEW, writeVectors } from "./vector-kit.mjs";

/** Group order L and field prime p. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const toLE = (n, length = 32) => {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
};
const fromLE = (bytes) => bytes.reduceRight((acc, b) => (acc << 8n) + BigInt(b), 0n);

const KEYS = { alice: { sub: "alice", ...rfcKey(1) }, bob: { sub: "bob", ...rfcKey(2) }, carol: { sub: "carol", ...rfcKey(3) } };

/* ---------- fixed times and per-vector deterministic values ---------- */

const AUD = "hitl-cli";
const { seeded, uuidFor } = derivedFrom("hitl test vector");

function makeChallenge(name, action, overrides = {}) {
  return {
    v: 1,
    id: uuidFor(name),
    nonce: encodeBase64url(seeded(name, "nonce")),
    aud: AUD,
    iat: NOW - 60,
    exp: NOW + 240,
    action,
    intent: intentDigest(action),
    requester: { tool: "hitl-cli", host: "build-01", pid: 4242, cwd: "/home/alice/project" },
    ...overrides,
  };
}

function makeStatement(challenge, signer, overrides = {}) {
  return {
    v: 1,
    decision: "approve",
    challenge: challengeDigest(challenge),
    sub: signer.sub,
    kid: signer.kid,
    decidedAt: NOW - 30,
    ...overrides,
  };
}

const vectors = [];

/**
 * One vector. `sign(bytes)` returns the 64 signature bytes; `signed` the bytes actually signed
 * (the decision signing input unless a vector is about the wrong prefix).
 */
function add({
  name,
  description,
  challenge,
  statement,
  signer,
  publicKey = signer.publicKey,
  signed,
  sign,
  receiptPatch,
  receiptJson,
  receiptHex,
  keyDirectory,
  expectations,
  expect,
  rawExpect,
}) {
  const input = signingInput("decision", statement);
  const bytes = signed ?? input;
  const signature = sign ? sign(bytes) : new Uint8Array(nodeSign(null, bytes, signer.node));
  let receipt = { v: 1, challenge, statement, sig: encodeBase64url(signature), kid: statement.kid };
  if (receiptPatch) receipt = receiptPatch(receipt);
  const node = nodeRawVerify(publicKey, input, signature);
  const noble = nobleVerify(publicKey, input, signature);
  if (rawExpect && (rawExpect.node !== node || rawExpect.noble !== noble)) {
    throw new Error(`${name}: expected raw verdicts ${JSON.stringify(rawExpect)}, got ${JSON.stringify({ node, noble })}`);
  }
  const vector = {
    name,
    description,
    approver: { sub: statement.sub, kid: keyIdFromPublicKey(publicKey), publicKey: encodeBase64url(publicKey) },
    ...(keyDirectory ? { keyDirectory } : {}),
    challenge,
    challengeJcs: canonicalize(challenge),
    challengeDigest: challengeDigest(challenge),
    statement,
    statementJcs: canonicalize(statement),
    signingInputHex: hex(input),
    ...(signed ? { signedBytesHex: hex(signed) } : {}),
    signature: encodeBase64url(signature),
    ed25519: { publicKeyHex: hex(publicKey), signatureHex: hex(signature), nodeCryptoRaw: node, nobleStrict: noble },
    ...(receiptHex ? { receiptHex: hex(receiptHex(receipt)) } : receiptJson ? { receiptJson: receiptJson(receipt) } : { receipt }),
    expectations: expectations ?? { aud: AUD },
    expect,
  };
  vectors.push(vector);
}

const ok = { valid: true, decision: "approve" };
const rawOk = { node: true, noble: true };
const { alice, bob, carol } = KEYS;

/* ---------- valid approvals, including non-ASCII actions ---------- */

const plain = (name, summary, details) => makeChallenge(name, details === undefined ? { summary } : { summary, details });

const validCases = [
  ["ascii", "Plain ASCII action.", alice, plain("ascii", "delete /tmp/testfile")],
  [
    "emoji",
    "Emoji, including a ZWJ sequence and a flag.",
    alice,
    plain("emoji", "deploy 🚀 to prod for 👩‍💻 team 🇫🇷", { reason: "🔥 hotfix", "🔑": "key" }),
  ],
  [
    "combining",
    "Combining characters (NFD) next to precomposed ones: not normalized, signed as given.",
    bob,
    plain("combining", "rename cafe\u0301.txt to café.txt (A\u030angstro\u0308m)"),
  ],
  [
    "rtl",
    "Right-to-left text (Hebrew, Arabic) mixed with left-to-right.",
    bob,
    plain("rtl", "מחק את הקובץ report.pdf — حذف الملف", { נתיב: "/srv/דוחות", ملف: "تقرير" }),
  ],
  [
    "control-characters",
    "Newlines, tabs, CR, other C0/C1 controls, DEL, LS/PS: everything but NUL is allowed in free text and escaped by JCS.",
    carol,
    plain("control-characters", "line 1\nline 2\r\n\ttabbed \u0001\u001f\u007f\u0085 \u2028\u2029 end", { multi: "a\nb", bell: "\u0007" }),
  ],
  [
    "jcs-ordering-and-numbers",
    "details whose member names sort by UTF-16 code units (RFC 8785 3.2.3) and numbers in ECMAScript form.",
    alice,
    plain("jcs-ordering-and-numbers", "apply numeric settings", {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      1: "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
      numbers: [333333333.3333333, 1e30, 4.5, 0.002, 1e-27, 0, -1, 9007199254740991, 5e-324, 1.7976931348623157e308],
      nested: { z: [true, false, null], a: { 10: 10, 9: 9, "": "empty name" } },
    }),
  ],
  [
    "no-details-minimal-requester",
    "No details, requester with only the tool.",
    carol,
    makeChallenge("no-details-minimal-requester", { summary: "restart nginx" }, { requester: { tool: "agent" } }),
  ],
];

for (const [name, description, signer, challenge] of validCases) {
  add({ name, description, challenge, statement: makeStatement(challenge, signer), signer, expect: ok, rawExpect: rawOk });
}

/* ---------- signed, but not an approval here ---------- */

{
  const challenge = plain("deny", "drop database production");
  add({
    name: "deny",
    description: "A valid signed deny: verifies, but is a refusal.",
    challenge,
    statement: makeStatement(challenge, alice, { decision: "deny" }),
    signer: alice,
    expect: { valid: false, code: "ERR_DENIED", decision: "deny" },
    rawExpect: rawOk,
  });
}
{
  const challenge = plain("challenge-digest-mismatch", "delete /tmp/a");
  const other = plain("challenge-digest-mismatch/other", "delete /tmp/b");
  add({
    name: "challenge-digest-mismatch",
    description: "Correctly signed statement about ANOTHER challenge (digest of delete /tmp/b) shipped with delete /tmp/a.",
    challenge,
    statement: makeStatement(other, alice),
    signer: alice,
    expect: { valid: false, code: "ERR_CHALLENGE_MISMATCH" },
    rawExpect: rawOk,
  });
}
{
  const challenge = makeChallenge("audience-mismatch", { summary: "rotate keys" }, { aud: "billing-service" });
  add({
    name: "audience-mismatch",
    description: "Valid approval for audience billing-service, verified by hitl-cli.",
    challenge,
    statement: makeStatement(challenge, bob),
    signer: bob,
    expect: { valid: false, code: "ERR_AUDIENCE_MISMATCH" },
    rawExpect: rawOk,
  });
}
{
  const challenge = makeChallenge("expired", { summary: "delete /tmp/old" }, { iat: NOW - 400, exp: NOW - 100 });
  add({
    name: "expired",
    description: `exp is 100 s before the verification time (skew ${SKEW} s).`,
    challenge,
    statement: makeStatement(challenge, alice, { decidedAt: NOW - 200 }),
    signer: alice,
    expect: { valid: false, code: "ERR_EXPIRED" },
    rawExpect: rawOk,
  });
}
{
  const challenge = makeChallenge("not-yet-valid", { summary: "delete /tmp/future" }, { iat: NOW + 100, exp: NOW + 400 });
  add({
    name: "not-yet-valid",
    description: "iat is 100 s after the verification time.",
    challenge,
    statement: makeStatement(challenge, alice, { decidedAt: NOW + 120 }),
    signer: alice,
    expect: { valid: false, code: "ERR_NOT_YET_VALID" },
    rawExpect: rawOk,
  });
}
{
  const challenge = plain("decided-outside-window", "delete /tmp/skewed");
  add({
    name: "decided-outside-window",
    description: "decidedAt is 1000 s after exp: the approver's clock is far off.",
    challenge,
    statement: makeStatement(challenge, carol, { decidedAt: NOW + 1240 }),
    signer: carol,
    expect: { valid: false, code: "ERR_DECIDED_OUTSIDE_WINDOW" },
    rawExpect: rawOk,
  });
}
{
  const challenge = makeChallenge(
    "intent-mismatch",
    { summary: "send 10 EUR to bob" },
    { intent: intentDigest({ fn: "transfer", args: { to: "bob", amount: 10 } }) },
  );
  add({
    name: "intent-mismatch",
    description: "The caller expects the intent of transfer(to=mallory, amount=1000).",
    challenge,
    statement: makeStatement(challenge, alice),
    signer: alice,
    expectations: { aud: AUD, intent: intentDigest({ fn: "transfer", args: { to: "mallory", amount: 1000 } }) },
    expect: { valid: false, code: "ERR_INTENT_MISMATCH" },
    rawExpect: rawOk,
  });
}

/* ---------- key problems ---------- */

{
  const challenge = plain("unknown-approver", "delete /tmp/x");
  add({
    name: "unknown-approver",
    description: "Signed by carol's key but naming subject mallory, who is not registered.",
    challenge,
    statement: makeStatement(challenge, { sub: "mallory", kid: carol.kid }),
    signer: carol,
    expect: { valid: false, code: "ERR_UNKNOWN_APPROVER" },
    rawExpect: rawOk,
  });
}
{
  const challenge = plain("unknown-key", "delete /tmp/y");
  add({
    name: "unknown-key",
    description: "Subject alice, but signed with carol's key: alice has no such key.",
    challenge,
    statement: makeStatement(challenge, { sub: "alice", kid: carol.kid }),
    signer: carol,
    expect: { valid: false, code: "ERR_UNKNOWN_KEY" },
    rawExpect: rawOk,
  });
}
{
  const challenge = plain("receipt-kid-mismatch", "delete /tmp/z");
  add({
    name: "receipt-kid-mismatch",
    description: "receipt.kid names bob's key while statement.kid names alice's.",
    challenge,
    statement: makeStatement(challenge, alice),
    signer: alice,
    receiptPatch: (r) => ({ ...r, kid: bob.kid }),
    expect: { valid: false, code: "ERR_KEY_ID_MISMATCH" },
    rawExpect: rawOk,
  });
}

/* ---------- signature strictness ---------- */

{
  const challenge = plain("bad-signature", "delete /tmp/bits");
  add({
    name: "bad-signature",
    description: "One bit of R flipped.",
    challenge,
    statement: makeStatement(challenge, alice),
    signer: alice,
    sign: (bytes) => {
      const sig = new Uint8Array(nodeSign(null, bytes, alice.node));
      sig[5] ^= 0x01;
      return sig;
    },
    expect: { valid: false, code: "ERR_BAD_SIGNATURE" },
    rawExpect: { node: false, noble: false },
  });
}
{
  const challenge = plain("wrong-prefix", "delete /tmp/prefix");
  const statement = makeStatement(challenge, bob);
  add({
    name: "wrong-prefix",
    description: "The statement was signed with the PAIRING prefix: a signature can never cross statement kinds.",
    challenge,
    statement,
    signer: bob,
    signed: new Uint8Array(Buffer.from(SIGNING_PREFIXES.pairing + canonicalize(statement), "utf8")),
    expect: { valid: false, code: "ERR_BAD_SIGNATURE" },
    rawExpect: { node: false, noble: false },
  });
}
{
  const challenge = plain("non-canonical-s", "delete /tmp/malleable");
  add({
    name: "non-canonical-s",
    description: "A valid signature with S replaced by S + L (still < 2^253): the same equation holds, RFC 8032 requires rejection.",
    challenge,
    statement: makeStatement(challenge, alice),
    signer: alice,
    sign: (bytes) => {
      const sig = new Uint8Array(nodeSign(null, bytes, alice.node));
      const s = fromLE(sig.subarray(32)) + L;
      sig.set(toLE(s), 32);
      return sig;
    },
    expect: { valid: false, code: "ERR_NONCANONICAL_SIGNATURE" },
    rawExpect: { node: false, noble: false },
  });
}
{
  // The identity point verifies [S]B = R + [k]A for ANY message once R = [S]B.
  const identity = toLE(1n);
  const challenge = plain("small-order-key", "delete /tmp/anything");
  const sub = "weak-identity";
  add({
    name: "small-order-key",
    description: "Public key = identity point (small order). R = [s]B, S = s forges a signature on any message.",
    challenge,
    statement: makeStatement(challenge, { sub, kid: keyIdFromPublicKey(identity) }),
    signer: { sub },
    publicKey: identity,
    keyDirectory: [{ sub, kid: keyIdFromPublicKey(identity), publicKey: encodeBase64url(identity) }],
    sign: () => {
      const s = 123456789n;
      const R = ed.Point.BASE.multiply(s).toBytes();
      const sig = new Uint8Array(64);
      sig.set(R, 0);
      sig.set(toLE(s), 32);
      return sig;
    },
    expect: { valid: false, code: "ERR_WEAK_PUBLIC_KEY" },
    rawExpect: { node: true, noble: false },
  });
}
{
  // y = p + 1 is a non-canonical encoding of the identity: the same forgery works.
  const nonCanonicalIdentity = toLE(P + 1n);
  const challenge = plain("non-canonical-key", "delete /tmp/everything");
  const sub = "weak-noncanonical";
  add({
    name: "non-canonical-key",
    description: "Public key encoded with y = p + 1 >= p (a non-canonical encoding of the identity point).",
    challenge,
    statement: makeStatement(challenge, { sub, kid: keyIdFromPublicKey(nonCanonicalIdentity) }),
    signer: { sub },
    publicKey: nonCanonicalIdentity,
    keyDirectory: [{ sub, kid: keyIdFromPublicKey(nonCanonicalIdentity), publicKey: encodeBase64url(nonCanonicalIdentity) }],
    sign: () => {
      const s = 987654321n;
      const sig = new Uint8Array(64);
      sig.set(ed.Point.BASE.multiply(s).toBytes(), 0);
      sig.set(toLE(s), 32);
      return sig;
    },
    expect: { valid: false, code: "ERR_WEAK_PUBLIC_KEY" },
    rawExpect: { node: true, noble: false },
  });
}
{
  // R' = R + T with T of order 8, S = r + k'a where k' = H(R' || A || M): the cofactored
  // equation [8][S]B = [8]R' + [8][k']A holds, the cofactorless [S]B = R' + [k']A does not.
  const challenge = plain("mixed-order-r", "delete /tmp/cofactor");
  const statement = makeStatement(challenge, alice);
  const torsion8 = ed.Point.fromBytes(fromHex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"));
  add({
    name: "mixed-order-r",
    description: "R carries an order-8 component. Valid under cofactored verification only: verifiers disagree (see README).",
    challenge,
    statement,
    signer: alice,
    sign: (bytes) => {
      const { scalar: a, pointBytes: A } = ed.utils.getExtendedPublicKey(fromHex(alice.secret));
      const r = fromLE(createHash("sha512").update("hitl mixed-order nonce").digest()) % L;
      const Rp = ed.Point.BASE.multiply(r).add(torsion8).toBytes();
      const k = fromLE(createHash("sha512").update(Rp).update(A).update(bytes).digest()) % L;
      const S = (r + k * a) % L;
      const sig = new Uint8Array(64);
      sig.set(Rp, 0);
      sig.set(toLE(S), 32);
      return sig;
    },
    expect: { valid: false, code: "ERR_BAD_SIGNATURE" },
    rawExpect: { node: false, noble: true },
  });
}

/* ---------- JSON text and shape ---------- */

function textCase(name, description, code, mutateText, signer = alice) {
  const challenge = plain(name, `text case ${name}`);
  add({
    name,
    description,
    challenge,
    statement: makeStatement(challenge, signer),
    signer,
    receiptJson: (r) => mutateText(JSON.stringify(r)),
    expect: { valid: false, code },
    rawExpect: rawOk,
  });
}
textCase("duplicate-member", 'The receipt text repeats "aud" inside challenge; JSON.parse would keep the last one.', "ERR_MALFORMED", (t) =>
  t.replace('"aud":"hitl-cli"', '"aud":"other","aud":"hitl-cli"'),
);
textCase("duplicate-member-escaped", 'A duplicate spelled with an escape ("\\u0073ig" is "sig").', "ERR_MALFORMED", (t) =>
  t.replace('"sig":', '"\\u0073ig":"x","sig":'),
);
textCase("lone-surrogate", "A lone UTF-16 surrogate (\\ud800) in the summary.", "ERR_INVALID_ENCODING", (t) =>
  t.replace("text case lone-surrogate", "text case \\ud800"),
);
textCase("nul-in-summary", "A NUL character in free text.", "ERR_MALFORMED", (t) =>
  t.replace("text case nul-in-summary", "text case \\u0000"),
);
textCase("unknown-field", "An extra member in the statement.", "ERR_MALFORMED", (t) =>
  t.replace('"decision":"approve"', '"decision":"approve","admin":true'),
);
textCase("padded-signature", "The signature with base64 padding.", "ERR_INVALID_ENCODING", (t) =>
  t.replace(/"sig":"([^"]+)"/, '"sig":"$1=="'),
);
textCase("unsupported-version", "Receipt version 2.", "ERR_UNSUPPORTED_VERSION", (t) => t.replace(/^\{"v":1,/, '{"v":2,'));
textCase("not-json", "Truncated JSON.", "ERR_MALFORMED", (t) => t.slice(0, t.length - 10));

/* ---------- precision: what docs/protocol.md answers, one vector each ---------- */

/**
 * A vector whose challenge is made with `overrides` (and `action`), signed honestly over it.
 * For shape failures the signature is irrelevant (shape is checked first) but still genuine.
 */
function caseOf({ name, description, expect, action, overrides = {}, statement = {}, signer = alice, ...rest }) {
  const challenge = makeChallenge(name, action ?? { summary: `case ${name}` }, overrides);
  add({
    name,
    description,
    challenge,
    statement: makeStatement(challenge, signer, statement),
    signer,
    expect,
    rawExpect: rawOk,
    ...rest,
  });
}
const malformed = { valid: false, code: "ERR_MALFORMED" };
const tooLarge = { valid: false, code: "ERR_TOO_LARGE" };

// Text and bytes (checked before the shape: size, UTF-8, BOM, JSON, names, numbers).
caseOf({
  name: "invalid-utf8",
  description: "The receipt bytes hold 0xC3 followed by an ASCII byte inside the summary: not UTF-8.",
  expect: { valid: false, code: "ERR_INVALID_ENCODING" },
  receiptHex: (r) => {
    const bytes = Buffer.from(JSON.stringify(r));
    bytes[bytes.indexOf("case invalid-utf8") + 4] = 0xc3;
    return bytes;
  },
});
caseOf({
  name: "bom",
  description: "The receipt bytes start with the UTF-8 byte order mark EF BB BF.",
  expect: { valid: false, code: "ERR_INVALID_ENCODING" },
  receiptHex: (r) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(r))]),
});
caseOf({
  name: "raw-nul",
  description: "A raw U+0000 (not escaped) inside a string: not JSON (RFC 8259 requires control characters escaped).",
  expect: malformed,
  receiptJson: (r) => JSON.stringify(r).replace("case raw-nul", "case raw\u0000nul"),
});
caseOf({
  name: "duplicate-member-in-details",
  description: 'details holds "a" and "\\u0061": the same name after unescaping.',
  action: { summary: "case duplicate-member-in-details", details: { a: 1 } },
  expect: malformed,
  receiptJson: (r) => JSON.stringify(r).replace('"details":{"a":1}', '"details":{"a":1,"\\u0061":2}'),
});
caseOf({
  name: "number-1.0",
  description: 'The receipt version written as "1.0": equal in value, but not the canonical literal.',
  expect: malformed,
  receiptJson: (r) => JSON.stringify(r).replace(/^\{"v":1,/, '{"v":1.0,'),
});
caseOf({
  name: "number-exponent",
  description: 'challenge.iat written as "1.76722554e9" (an integer in exponent form).',
  expect: malformed,
  receiptJson: (r) => JSON.stringify(r).replace(`"iat":${NOW - 60}`, '"iat":1.76722554e9'),
});
caseOf({
  name: "number-negative-zero",
  description: 'A details number written as "-0" (JCS would sign it as 0).',
  action: { summary: "case number-negative-zero", details: { n: 0 } },
  expect: malformed,
  receiptJson: (r) => JSON.stringify(r).replace('"details":{"n":0}', '"details":{"n":-0}'),
});
caseOf({
  name: "number-beyond-double",
  description: "A details integer 9007199254740993 (2^53 + 1): a double holds 9007199254740992, so the text is not what would be signed.",
  action: { summary: "case number-beyond-double", details: { n: 9007199254740992 } },
  expect: malformed,
  receiptJson: (r) => JSON.stringify(r).replace('"n":9007199254740992', '"n":9007199254740993'),
});

// Precedence inside the shape check.
caseOf({
  name: "version-before-unknown-member",
  description: "receipt.v = 2 and an unknown member: the version is reported first (ERR_UNSUPPORTED_VERSION).",
  expect: { valid: false, code: "ERR_UNSUPPORTED_VERSION" },
  receiptPatch: (r) => ({ v: 2, future: true, challenge: r.challenge, statement: r.statement, sig: r.sig, kid: r.kid }),
});
caseOf({
  name: "challenge-version-2",
  description: "challenge.v = 2 (the statement signs that challenge): ERR_UNSUPPORTED_VERSION, before any signature check.",
  overrides: { v: 2 },
  expect: { valid: false, code: "ERR_UNSUPPORTED_VERSION" },
});
caseOf({
  name: "unknown-member-before-encoding",
  description: "An unknown member in the challenge and a padded sig: members are checked in order (challenge before sig).",
  expect: malformed,
  receiptPatch: (r) => ({ ...r, challenge: { ...r.challenge, extra: 1 }, sig: `${r.sig}==` }),
});
caseOf({
  name: "encoding-before-characters",
  description: "A summary with a lone surrogate and a NUL: a string is checked well-formed before its characters.",
  expect: { valid: false, code: "ERR_INVALID_ENCODING" },
  receiptJson: (r) => JSON.stringify(r).replace("case encoding-before-characters", "case \\u0000 \\udc00"),
});

// Characters of one-line identifiers and of "not blank".
const identifierCases = [
  ["aud-zero-width-space", "aud with U+200B ZERO WIDTH SPACE inside", { aud: "hitl\u200b-cli" }],
  ["aud-bom-inside", "aud with U+FEFF inside", { aud: "hitl-cli\ufeff" }],
  ["tool-line-separator", "requester.tool with U+2028 LINE SEPARATOR", { requester: { tool: "hitl\u2028cli" } }],
  [
    "host-tag-characters",
    "requester.host spelling a hidden 'x' in tag characters U+E0001 U+E0078",
    { requester: { tool: "t", host: "build\u{e0001}\u{e0078}" } },
  ],
  ["host-hangul-filler", "requester.host is only U+3164 HANGUL FILLER", { requester: { tool: "t", host: "\u3164" } }],
  ["tool-blank", "requester.tool is only spaces (no visible character)", { requester: { tool: "   " } }],
];
for (const [name, description, overrides] of identifierCases) caseOf({ name, description, overrides, expect: malformed });
caseOf({
  name: "sub-soft-hyphen",
  description: "statement.sub with U+00AD SOFT HYPHEN (Cf): 'ali\\u00adce' would display as 'alice'.",
  statement: { sub: "ali\u00adce" },
  expect: malformed,
});
caseOf({
  name: "summary-invisible-only",
  description: "The summary is U+200B U+3164 U+2028: no visible character, so blank.",
  action: { summary: "\u200b\u3164\u2028" },
  expect: malformed,
});
caseOf({
  name: "summary-invisible-and-visible",
  description: "Free text may hold invisible characters next to visible ones (the window marks them): valid.",
  action: { summary: "delete\u200b /tmp/\u2066x\u2069 \ufeff" },
  signer: bob,
  expect: ok,
});

// Integers, time, lifetime.
caseOf({
  name: "iat-fraction",
  description: "challenge.iat = NOW - 59.5 (not an integer).",
  overrides: { iat: NOW - 59.5 },
  expect: malformed,
});
caseOf({
  name: "iat-out-of-range",
  description: "challenge.iat = 999999999 (before 1 000 000 000).",
  overrides: { iat: 999999999 },
  expect: malformed,
});
caseOf({
  name: "pid-out-of-range",
  description: "requester.pid = 2^31 (above 2^31 - 1).",
  overrides: { requester: { tool: "t", pid: 2 ** 31 } },
  expect: malformed,
});
caseOf({
  name: "lifetime-too-long",
  description: "exp - iat = 3601 seconds.",
  overrides: { iat: NOW - 60, exp: NOW - 60 + 3601 },
  expect: malformed,
});
caseOf({ name: "exp-not-after-iat", description: "exp = iat.", overrides: { iat: NOW - 60, exp: NOW - 60 }, expect: malformed });
caseOf({
  name: "lifetime-limit",
  description: "exp - iat = 3600 seconds exactly: valid.",
  overrides: { iat: NOW - 60, exp: NOW - 60 + 3600 },
  expect: ok,
});
caseOf({
  name: "decided-in-future",
  description: `decidedAt = verifyAt + 100, inside [iat, exp] but later than the verifier's now + skew (${SKEW} s).`,
  statement: { decidedAt: NOW + 100 },
  expect: { valid: false, code: "ERR_DECIDED_OUTSIDE_WINDOW" },
});

// Details: null, odd names, depth, size; summary size; cwd.
caseOf({
  name: "details-null",
  description: "details: null is a JSON value like any other (absent is different): valid.",
  action: { summary: "case details-null", details: null },
  expect: ok,
});
caseOf({
  name: "details-proto-member-names",
  description: 'details with members named "__proto__" and "constructor" (ordinary names in hitl JSON): valid.',
  action: {
    summary: "case details-proto-member-names",
    details: JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}},"toString":"x"}'),
  },
  signer: carol,
  expect: ok,
});
const nest = (levels, inner) => (levels === 0 ? inner : [nest(levels - 1, inner)]);
caseOf({
  name: "details-depth-limit",
  description: "17 nested arrays, the innermost empty: every value is enclosed by at most 16 containers within details: valid.",
  action: { summary: "case details-depth-limit", details: nest(16, []) },
  expect: ok,
});
caseOf({
  name: "details-too-deep",
  description: "17 nested arrays around the number 0: the 0 is enclosed by 17 containers.",
  action: { summary: "case details-too-deep", details: nest(17, 0) },
  expect: malformed,
});
{
  // {"t":"<n x U+0001>"} is 8 + 6n bytes as JCS (each U+0001 is written \u0001): n = 5460 gives 32 768.
  const details = (n) => ({ t: "\u0001".repeat(n) });
  if (canonicalize(details(5460)).length !== 32 * 1024) throw new Error("details-size-limit is not 32 KiB");
  caseOf({
    name: "details-size-limit",
    description: "details is exactly 32 768 bytes as JCS (its raw string is 5 460 bytes): valid.",
    action: { summary: "case details-size-limit", details: details(5460) },
    expect: ok,
  });
  caseOf({
    name: "details-size-over",
    description: "details is 32 774 bytes as JCS: the limit counts the canonical bytes, escapes included.",
    action: { summary: "case details-size-over", details: details(5461) },
    expect: tooLarge,
  });
}
caseOf({
  name: "summary-size-limit",
  description: "The summary is 2 048 UTF-8 bytes (1 024 x U+00E9): valid.",
  action: { summary: "\u00e9".repeat(1024) },
  expect: ok,
});
caseOf({
  name: "summary-size-over",
  description: "The summary is 2 049 UTF-8 bytes (the limit counts UTF-8 bytes of the string, not UTF-16 units or JCS escapes).",
  action: { summary: `${"\u00e9".repeat(1024)}a` },
  expect: tooLarge,
});
caseOf({
  name: "challenge-too-large",
  description: "Each part within its own limit, but the challenge is over 48 KiB as JCS (escaped control characters).",
  action: { summary: `x${"\u0002".repeat(2000)}`, details: { text: "\u0001".repeat(5000) } },
  overrides: { requester: { tool: "t", cwd: `/${"\u0003".repeat(1200)}` } },
  expect: tooLarge,
});
caseOf({
  name: "cwd-empty",
  description: "requester.cwd is the empty string (omit it instead).",
  overrides: { requester: { tool: "t", cwd: "" } },
  expect: malformed,
});
caseOf({
  name: "cwd-free-text",
  description: "requester.cwd is free text: a relative path with a newline and a tab is valid (it is never interpreted).",
  overrides: { requester: { tool: "t", cwd: "project\n\tdir" } },
  expect: ok,
});

// Intent.
{
  const call = { fn: "transfer", args: { amount: 10, to: "bob" } };
  caseOf({
    name: "structured-intent-expected",
    description: "intent = digest of a structured call; the verifier expects exactly that digest: valid.",
    overrides: { intent: intentDigest(call) },
    expectations: { aud: AUD, intent: intentDigest(call) },
    expect: ok,
  });
  caseOf({
    name: "structured-intent-unexpected",
    description: "intent = digest of a structured call; the verifier names no intent, so the fallback digest(action) is required.",
    overrides: { intent: intentDigest(call) },
    expect: { valid: false, code: "ERR_INTENT_MISMATCH" },
  });
}

/* ---------- approvers files: one bad record refuses the whole file ---------- */

const approverRecord = (k) => ({ sub: k.sub, kid: k.kid, publicKey: encodeBase64url(k.publicKey), pairedAt: NOW - 86400 });
const approversFiles = [
  [
    "valid",
    "alice, bob and carol; the same key may serve two subjects.",
    [alice, bob, carol].map(approverRecord).concat([{ ...approverRecord(alice), sub: "alice-laptop" }]),
    { valid: true },
  ],
  [
    "duplicate-record",
    "alice's record twice (same sub and kid).",
    [approverRecord(alice), approverRecord(bob), approverRecord(alice)],
    { valid: false, code: "ERR_APPROVERS_FILE_INVALID" },
  ],
  [
    "weak-record",
    "One record holds the identity point (small order) with its correct thumbprint.",
    [approverRecord(alice), { sub: "weak", kid: keyIdFromPublicKey(toLE(1n)), publicKey: encodeBase64url(toLE(1n)), pairedAt: NOW }],
    { valid: false, code: "ERR_WEAK_PUBLIC_KEY" },
  ],
  [
    "kid-mismatch-record",
    "bob's record names alice's kid.",
    [approverRecord(alice), { ...approverRecord(bob), kid: alice.kid }],
    { valid: false, code: "ERR_APPROVERS_FILE_INVALID" },
  ],
  [
    "invisible-sub",
    "A subject with U+200B inside.",
    [{ ...approverRecord(alice), sub: "ali\u200bce" }],
    { valid: false, code: "ERR_APPROVERS_FILE_INVALID" },
  ],
].map(([name, description, approvers, expect]) => ({ name, description, text: JSON.stringify({ v: 1, approvers }), expect }));

/* ---------- output ---------- */

const file = {
  description:
    "hitl receipt test vectors. Generated by generate.mjs from the RFC 8032 section 7.1 TEST 1/2/3 keys; see README.md for the format and for where Ed25519 verifiers disagree.",
  protocol: 1,
  verifyAt: NOW,
  skewSeconds: SKEW,
  approvers: Object.values(KEYS).map((k) => ({ sub: k.sub, kid: k.kid, publicKey: encodeBase64url(k.publicKey), pairedAt: NOW - 86400 })),
  keys: Object.values(KEYS).map((k) => ({
    sub: k.sub,
    rfc8032: k.rfc8032,
    secretKeyHex: k.secret,
    publicKeyHex: hex(k.publicKey),
    kid: k.kid,
  })),
  rfc8032: RFC8032.map((t) => ({ ...t, publicKeyB64url: encodeBase64url(fromHex(t.publicKey)) })),
  vectors,
  approversFiles,
};
const names = new Set();
for (const v of vectors) {
  if (names.has(v.name)) throw new Error(`duplicate vector name ${v.name}`);
  names.add(v.name);
  if (decodeBase64url(v.signature).length !== 64) throw new Error(`${v.name}: signature length`);
}
process.stdout.write(`wrote ${vectors.length} vectors to ${writeVectors("receipts.json", file)}\n`);

// The pairing vectors (pairings.json) have their own generator; one command regenerates both.
await import("./generate-pairings.mjs");
