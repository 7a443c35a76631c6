import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeyDirectory, NonceStore, VerifyExpectations, VerifyOptions } from "../src/contracts.js";
import { intentDigest } from "../src/digests.js";
import { LocalKeyDirectory } from "../src/keys/local-key-directory.js";
import { FileNonceStore } from "../src/nonces/file-nonce-store.js";
import { encodeBase64url } from "../src/protocol/base64url.js";
import type { Receipt } from "../src/protocol/types.js";
import { makeApprover, makeChallenge, nowSeconds, signReceipt, type TestApprover, wire } from "../src/testing/index.js";
import { verifyReceipt } from "../src/verify-receipt.js";
import { tempDir } from "./helpers/temp-dir.js";

const alice = makeApprover("alice");
const bob = makeApprover("bob");
const mallory = makeApprover("mallory");
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

let dir: { path: string; remove(): Promise<void> };
let keys: LocalKeyDirectory;
let approversFile: string;

beforeAll(async () => {
  dir = await tempDir();
  approversFile = join(dir.path, "approvers.json");
  const record = (a: TestApprover) => ({ sub: a.sub, kid: a.kid, publicKey: encodeBase64url(a.publicKey), pairedAt: 1_767_000_000 });
  writeFileSync(approversFile, JSON.stringify({ v: 1, approvers: [record(alice), record(bob)] }), { mode: 0o600 });
  keys = await LocalKeyDirectory.open(approversFile);
});
afterAll(() => dir.remove());

const expectations: VerifyExpectations = { aud: "hitl-cli" };
let storeCount = 0;
function freshStore(): FileNonceStore {
  return new FileNonceStore(join(dir.path, `nonces-${storeCount++}`));
}
function options(extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return { keys, nonces: "offline-audit", ...extra };
}
function fails(
  input: unknown,
  code: string,
  message: string | RegExp,
  opts: VerifyOptions = options(),
  exp: VerifyExpectations = expectations,
) {
  return expect(verifyReceipt(input, exp, opts)).rejects.toMatchObject({
    name: "HitlError",
    code,
    message: typeof message === "string" ? message : expect.stringMatching(message),
  });
}
function withSig(receipt: Receipt, mutate: (sig: Uint8Array) => void): Receipt {
  const sig = new Uint8Array(Buffer.from(receipt.sig, "base64url"));
  mutate(sig);
  return { ...wire(receipt), sig: encodeBase64url(sig) };
}

describe("verifyReceipt accepts", () => {
  it("a valid approval, consuming its nonce once (object and JSON text input, both signature modes)", async () => {
    const store = freshStore();
    const receipt = signReceipt(makeChallenge(), alice);
    const verified = await verifyReceipt(wire(receipt), expectations, options({ nonces: store }));
    expect(verified).toMatchObject({ nonceConsumed: true, approver: { sub: "alice", kid: alice.kid }, receipt: wire(receipt) });
    const second = signReceipt(makeChallenge(), bob);
    await expect(
      verifyReceipt(JSON.stringify(second), expectations, options({ nonces: store, signatureCheck: "threadpool" })),
    ).resolves.toMatchObject({
      nonceConsumed: true,
      approver: { sub: "bob" },
    });
  });

  it("with the caller's own challenge and intent", async () => {
    const challenge = makeChallenge();
    const receipt = signReceipt(challenge, alice);
    await expect(verifyReceipt(receipt, { aud: "hitl-cli", challenge, intent: challenge.intent }, options())).resolves.toMatchObject({
      nonceConsumed: false,
    });
  });

  it("at the edges of the skew window", async () => {
    const now = nowSeconds();
    const receipt = signReceipt(makeChallenge({ iat: now - 100, exp: now - 30 }), alice, { decidedAt: now - 50 });
    await expect(verifyReceipt(receipt, expectations, options({ clock: () => (now - 30 + 30) * 1000 }))).resolves.toBeDefined();
    await fails(receipt, "ERR_EXPIRED", /^The approval expired at /, options({ clock: () => (now - 30 + 31) * 1000 }));
    await expect(
      verifyReceipt(receipt, expectations, options({ clock: () => (now - 30 + 31) * 1000, skewSeconds: 31 })),
    ).resolves.toBeDefined();
  });
});

describe("every rejection has a stable code and a message that says what to do", () => {
  it("ERR_MALFORMED / ERR_TOO_LARGE: shape and size first", async () => {
    await fails({ v: 1 }, "ERR_MALFORMED", "receipt.challenge is missing.");
    await fails("{", "ERR_MALFORMED", "The receipt is not valid JSON.");
    await fails("x".repeat(70_000), "ERR_TOO_LARGE", "The receipt is larger than 65536 bytes; it cannot be a hitl receipt.");
  });

  it("ERR_UNKNOWN_APPROVER: a subject nobody paired", async () => {
    await fails(
      signReceipt(makeChallenge(), mallory),
      "ERR_UNKNOWN_APPROVER",
      `Approver "mallory" is not registered in the approvers file ${approversFile}. Run \`hitl pair\` to pair that browser, or use the approvers file that lists it (HITL_CONFIG_DIR for hitl request, --approvers FILE for hitl verify).`,
    );
  });

  it("ERR_UNKNOWN_APPROVER: nobody paired at all (no approvers file)", async () => {
    const empty = await LocalKeyDirectory.open(join(dir.path, "absent", "approvers.json"));
    await fails(
      signReceipt(makeChallenge(), alice),
      "ERR_UNKNOWN_APPROVER",
      `No approver is paired yet (the approvers file ${join(dir.path, "absent", "approvers.json")} has none). Run \`hitl pair\` to pair your browser.`,
      options({ keys: empty }),
    );
  });

  it("ERR_UNKNOWN_KEY: a known subject signing with another key", async () => {
    const receipt = signReceipt(makeChallenge(), mallory, { sub: "alice" });
    await fails(
      receipt,
      "ERR_UNKNOWN_KEY",
      /^Approver "alice" has no key [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4} in the approvers file .*Run `hitl pair` again to register the current key\.$/,
    );
  });

  it("ERR_UNKNOWN_KEY: a directory without explainMissing", async () => {
    const bare: KeyDirectory = { lookup: () => Promise.resolve(undefined) };
    await fails(
      signReceipt(makeChallenge(), alice),
      "ERR_UNKNOWN_KEY",
      `No key ${alice.kid} is registered for approver "alice". Pair this approver's browser with \`hitl pair\`.`,
      options({ keys: bare }),
    );
  });

  it("ERR_KEY_ID_MISMATCH: a directory returning a key whose thumbprint is not the kid", async () => {
    const confused: KeyDirectory = { lookup: (sub, kid) => Promise.resolve({ sub, kid, publicKey: bob.publicKey }) };
    await fails(
      signReceipt(makeChallenge(), alice),
      "ERR_KEY_ID_MISMATCH",
      `The key directory returned a key whose thumbprint is not ${alice.kid}; the directory is inconsistent. Re-pair the approver with \`hitl pair\`.`,
      options({ keys: confused }),
    );
  });

  it("ERR_KEY_DIRECTORY_UNAVAILABLE: a directory that fails is a deny, never a pass", async () => {
    // A third-party directory (e.g. over the network) failing with a plain error.
    const down: KeyDirectory = { lookup: () => Promise.reject(new Error("connect ECONNREFUSED 10.0.0.1:443")) };
    await fails(
      signReceipt(makeChallenge(), alice),
      "ERR_KEY_DIRECTORY_UNAVAILABLE",
      "The key directory could not be read (connect ECONNREFUSED 10.0.0.1:443); the approval is refused. Fix the store and retry.",
      options({ keys: down }),
    );
  });

  it("ERR_WEAK_PUBLIC_KEY: a directory returning a small-order key", async () => {
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const { keyIdFromPublicKey } = await import("../src/digests.js");
    const weakKid = keyIdFromPublicKey(identity);
    const weak: KeyDirectory = { lookup: (sub, kid) => Promise.resolve({ sub, kid, publicKey: identity }) };
    const receipt = signReceipt(makeChallenge(), alice, { kid: weakKid });
    await fails(
      receipt,
      "ERR_WEAK_PUBLIC_KEY",
      "The public key is a small-order point, which would verify signatures for many messages; it is refused. Pair the approver again with `hitl pair`.",
      options({ keys: weak }),
    );
  });

  it("ERR_NONCANONICAL_SIGNATURE: S + L", async () => {
    const receipt = withSig(signReceipt(makeChallenge(), alice), (sig) => {
      let s = 0n;
      for (let i = 63; i >= 32; i--) s = (s << 8n) + BigInt(sig[i]!);
      s += L;
      for (let i = 32; i < 64; i++) {
        sig[i] = Number(s & 0xffn);
        s >>= 8n;
      }
    });
    await fails(
      receipt,
      "ERR_NONCANONICAL_SIGNATURE",
      "The signature is not in canonical form (S >= L, or not 64 bytes); it was altered. Request a new approval.",
    );
  });

  it("ERR_BAD_SIGNATURE: a flipped bit, a changed field, the pairing prefix", async () => {
    const message =
      "The receipt's signature does not verify with alice's registered key; it was altered or forged. Do not proceed; request a new approval.";
    const receipt = signReceipt(makeChallenge(), alice);
    await fails(
      withSig(receipt, (sig) => {
        sig[0] = sig[0]! ^ 0x80;
      }),
      "ERR_BAD_SIGNATURE",
      message,
    );
    await fails(
      { ...wire(receipt), statement: { ...receipt.statement, decidedAt: receipt.statement.decidedAt + 1 } },
      "ERR_BAD_SIGNATURE",
      message,
    );
    await fails(signReceipt(makeChallenge(), alice, {}, "pairing"), "ERR_BAD_SIGNATURE", message);
    await fails(signReceipt(makeChallenge(), alice, {}, "keyRegistration"), "ERR_BAD_SIGNATURE", message);
  });

  it("ERR_CHALLENGE_MISMATCH: the statement signs another challenge's digest", async () => {
    const receipt = signReceipt(makeChallenge(), alice);
    await fails(
      { ...wire(receipt), challenge: makeChallenge() },
      "ERR_CHALLENGE_MISMATCH",
      "The signed decision is about a different challenge than the one in the receipt; the receipt was altered. Request a new approval.",
    );
  });

  it("ERR_CHALLENGE_MISMATCH: a valid receipt for another challenge than the caller issued", async () => {
    await fails(
      signReceipt(makeChallenge(), alice),
      "ERR_CHALLENGE_MISMATCH",
      "The receipt answers a different challenge than the one you issued; it belongs to another request. Use the receipt returned for your own challenge.",
      options(),
      { aud: "hitl-cli", challenge: makeChallenge() },
    );
  });

  it("ERR_DENIED: a signed deny, with the action in the message (control and bidi characters marked as the window marks them)", async () => {
    const challenge = makeChallenge({ action: { summary: "drop\u001b[2J table\nusers\u202e" } });
    await fails(
      signReceipt(challenge, alice, { decision: "deny" }),
      "ERR_DENIED",
      'alice denied this action ("drop⟨U+001B⟩[2J table users⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩"). Do not proceed.',
    );
  });

  it("ERR_DENIED: a long summary is cut at 80 characters, never inside an emoji", async () => {
    const summary = `${"a".repeat(78)}😀😀 and more`;
    const challenge = makeChallenge({ action: { summary } });
    await fails(
      signReceipt(challenge, alice, { decision: "deny" }),
      "ERR_DENIED",
      `alice denied this action ("${"a".repeat(78)}😀…"). Do not proceed.`,
    );
  });

  it("ERR_AUDIENCE_MISMATCH", async () => {
    await fails(
      signReceipt(makeChallenge({ aud: "billing" }), alice),
      "ERR_AUDIENCE_MISMATCH",
      'The approval is for audience "billing", not "hitl-cli"; it cannot be used here. Request an approval for this audience.',
    );
  });

  it("ERR_EXPIRED, ERR_NOT_YET_VALID, ERR_DECIDED_OUTSIDE_WINDOW", async () => {
    const now = nowSeconds();
    const iso = (s: number) => new Date(s * 1000).toISOString();
    const old = makeChallenge({ iat: now - 600, exp: now - 300 });
    await fails(
      signReceipt(old, alice, { decidedAt: now - 500 }),
      "ERR_EXPIRED",
      `The approval expired at ${iso(now - 300)} (now ${iso(now)}). Request a new approval.`,
      options({ clock: () => now * 1000 }),
    );
    const future = makeChallenge({ iat: now + 300, exp: now + 600 });
    await fails(
      signReceipt(future, alice, { decidedAt: now + 310 }),
      "ERR_NOT_YET_VALID",
      `The challenge is issued for ${iso(now + 300)}, later than now (${iso(now)}). Check the clocks of the requester and this machine.`,
      options({ clock: () => now * 1000 }),
    );
    const current = makeChallenge({ iat: now - 10, exp: now + 100 });
    await fails(
      signReceipt(current, alice, { decidedAt: now - 100 }),
      "ERR_DECIDED_OUTSIDE_WINDOW",
      `The decision is dated ${iso(now - 100)}, outside the challenge's window ${iso(now - 10)} .. ${iso(now + 100)}. Check the approver's clock and request a new approval.`,
      options({ clock: () => now * 1000 }),
    );
  });

  it("ERR_INTENT_MISMATCH", async () => {
    await fails(
      signReceipt(makeChallenge(), alice),
      "ERR_INTENT_MISMATCH",
      "The approval was given for a different call (intent digest differs); do not run this call. Request an approval for the exact call.",
      options(),
      { aud: "hitl-cli", intent: intentDigest({ fn: "rm", args: ["-rf", "/"] }) },
    );
  });

  it("ERR_REPLAYED: the second use of a receipt", async () => {
    const store = freshStore();
    const receipt = signReceipt(makeChallenge(), alice);
    await verifyReceipt(receipt, expectations, options({ nonces: store }));
    await fails(
      receipt,
      "ERR_REPLAYED",
      "This approval was already used (its nonce is consumed). Request a new approval for every action.",
      options({ nonces: store }),
    );
  });

  it("ERR_NONCE_STORE_UNAVAILABLE: a store that cannot write is a deny", async () => {
    const blocker = join(dir.path, "not-a-directory");
    writeFileSync(blocker, "x");
    await fails(
      signReceipt(makeChallenge(), alice),
      "ERR_NONCE_STORE_UNAVAILABLE",
      new RegExp(
        `^The replay store ${blocker}/nonces cannot record the nonce \\((ENOTDIR|EEXIST)\\), so the approval is refused\\. Check that directory's permissions and free space, or set HITL_STATE_DIR\\.$`,
      ),
      options({ nonces: new FileNonceStore(join(blocker, "nonces")) }),
    );
  });

  it("ERR_NONCE_STORE_UNAVAILABLE: a third-party store failing with a plain error", async () => {
    const broken: NonceStore = { consume: () => Promise.reject(new Error("disk on fire")), close: () => Promise.resolve() };
    await fails(
      signReceipt(makeChallenge(), alice),
      "ERR_NONCE_STORE_UNAVAILABLE",
      "The nonce store failed (disk on fire); the approval is refused. Fix the store and retry.",
      options({ nonces: broken }),
    );
  });

  it("ERR_USAGE: a misconfigured verifier throws instead of verifying less", async () => {
    const receipt = signReceipt(makeChallenge(), alice);
    await fails(receipt, "ERR_USAGE", /^verifyReceipt: expectations.aud must be your own audience/, options(), { aud: "" });
    await fails(receipt, "ERR_USAGE", /^verifyReceipt: options.nonces must be a NonceStore/, { keys } as unknown as VerifyOptions);
    await fails(receipt, "ERR_USAGE", /^verifyReceipt: options.keys must be a KeyDirectory/, {
      nonces: "offline-audit",
    } as unknown as VerifyOptions);
    await fails(receipt, "ERR_USAGE", "verifyReceipt: options.skewSeconds must be between 0 and 300.", options({ skewSeconds: 3600 }));
    await fails(
      receipt,
      "ERR_USAGE",
      'verifyReceipt: options.signatureCheck must be "sync" or "threadpool".',
      options({ signatureCheck: "gpu" as "sync" }),
    );
    await fails(
      receipt,
      "ERR_USAGE",
      "verifyReceipt: options.clock must be a function returning milliseconds since the epoch.",
      options({ clock: 5 as unknown as () => number }),
    );
    await fails(receipt, "ERR_USAGE", "verifyReceipt: expectations.intent must be a base64url digest.", options(), {
      aud: "hitl-cli",
      intent: 5 as unknown as string,
    });
  });
});

describe("order of checks", () => {
  it.each(["sync", "threadpool"] as const)(
    "%s: the signature is judged before the challenge, and a bad signature burns no nonce",
    async (signatureCheck) => {
      const store = freshStore();
      const genuine = signReceipt(makeChallenge(), alice);
      const broken = withSig(genuine, (sig) => {
        sig[3] = sig[3]! ^ 4;
      });
      const withStore = options({ nonces: store, signatureCheck });
      await fails({ ...broken, challenge: makeChallenge() }, "ERR_BAD_SIGNATURE", /does not verify/, withStore);
      await fails({ ...wire(genuine), challenge: makeChallenge() }, "ERR_CHALLENGE_MISMATCH", /different challenge/, withStore);
      await fails(broken, "ERR_BAD_SIGNATURE", /does not verify/, withStore);
      await expect(verifyReceipt(genuine, expectations, withStore)).resolves.toMatchObject({ nonceConsumed: true });
    },
  );

  it("a forgery never burns the nonce: the genuine receipt still verifies afterwards", async () => {
    const store = freshStore();
    const genuine = signReceipt(makeChallenge(), alice);
    const forged = { ...wire(genuine), statement: { ...genuine.statement, sub: "bob", kid: bob.kid }, kid: bob.kid };
    await fails(
      forged,
      "ERR_BAD_SIGNATURE",
      /^The receipt's signature does not verify with bob's registered key/,
      options({ nonces: store }),
    );
    await fails(
      withSig(genuine, (s) => {
        s[10] = s[10]! ^ 1;
      }),
      "ERR_BAD_SIGNATURE",
      /does not verify/,
      options({ nonces: store }),
    );
    await expect(verifyReceipt(genuine, expectations, options({ nonces: store }))).resolves.toMatchObject({ nonceConsumed: true });
  });

  it("a deny, a wrong audience or an expired receipt does not consume the nonce either", async () => {
    const store = freshStore();
    const challenge = makeChallenge();
    await fails(signReceipt(challenge, alice, { decision: "deny" }), "ERR_DENIED", /denied/, options({ nonces: store }));
    await fails(signReceipt(challenge, alice), "ERR_AUDIENCE_MISMATCH", /audience/, options({ nonces: store }), { aud: "other" });
    await fails(
      signReceipt(challenge, alice),
      "ERR_EXPIRED",
      /expired/,
      options({ nonces: store, clock: () => (challenge.exp + 3600) * 1000 }),
    );
    await expect(verifyReceipt(signReceipt(challenge, alice), expectations, options({ nonces: store }))).resolves.toMatchObject({
      nonceConsumed: true,
    });
  });

  it("the signature is checked before the decision, the audience and the time", async () => {
    const now = nowSeconds();
    const receipt = signReceipt(makeChallenge({ aud: "x", iat: now - 900, exp: now - 600 }), alice, {
      decision: "deny",
      decidedAt: now - 700,
    });
    const tampered = withSig(receipt, (s) => {
      s[1] = s[1]! ^ 4;
    });
    await fails(tampered, "ERR_BAD_SIGNATURE", /does not verify/);
    await fails(receipt, "ERR_DENIED", /denied/);
  });

  it("the key lookup comes before the signature", async () => {
    const receipt = withSig(signReceipt(makeChallenge(), mallory), (s) => {
      s[0] = s[0]! ^ 1;
    });
    await fails(receipt, "ERR_UNKNOWN_APPROVER", /mallory/);
  });

  it("offline-audit verifies fully but never consumes", async () => {
    const receipt = signReceipt(makeChallenge(), alice);
    for (let i = 0; i < 3; i++)
      await expect(verifyReceipt(receipt, expectations, options())).resolves.toMatchObject({ nonceConsumed: false });
  });
});
