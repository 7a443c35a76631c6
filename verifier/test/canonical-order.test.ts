import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as protocol from "../src/protocol/index.js";
import type { JsonValue } from "../src/protocol/types.js";
import {
  EXTENSION_HELLO,
  makeApprover,
  makeChallenge,
  makePairingRequest,
  signKeyRegistration,
  signPairing,
  signReceipt,
} from "../src/testing/index.js";

/*
 * The verifier hashes and signs what JSON.stringify writes when every object of a parsed document
 * was built with its members in JCS order (RFC 8785 §3.2.3: sorted by UTF-16 code units). A field
 * added out of order would otherwise show up only as a distant vector failure. So: for every
 * parser of the protocol module, any valid input, with its members in any order, parses to objects
 * sorted at every level.
 */

const alice = makeApprover("alice");
const REQUEST_ID = "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b";

/** Member names whose UTF-16 order differs from their code point order ("ﬀ" < "𝄞" by code point, not by code unit). */
const nameCharacter = fc.constantFrom("a", "b", "B", "_", "-", "é", "ﬀ", "𝄞", "z", "Z", "0", "9", " ");
/** No array-index names: JS enumerates those first whatever the insertion order (ParseNotes covers them, jcs.test.ts). */
const memberName = fc.string({ unit: nameCharacter, minLength: 1, maxLength: 4 }).filter((name) => !/^(?:0|[1-9][0-9]*)$/.test(name));
const details: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ maxLength: 3 }).filter((text) => protocol.isWellFormed(text) && !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(text)),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(memberName, tie("value"), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
/** The members that are not undefined (an absent optional member, not one set to undefined). */
const withOptional = <T = Record<string, unknown>>(members: Record<string, unknown>): T =>
  Object.fromEntries(Object.entries(members).filter(([, value]) => value !== undefined)) as T;

const challenge = fc
  .record({ details: optional(details), host: optional(fc.constant("build-box")), cwd: optional(fc.constant("/srv/ünï")) })
  .map(({ details, host, cwd }) =>
    makeChallenge({
      action: withOptional<protocol.Action>({ summary: "deploy", details }),
      requester: withOptional<protocol.RequesterContext>({ tool: "hitl-cli", host, pid: 4242, cwd }),
    }),
  );
const receipt = fc
  .tuple(challenge, fc.constantFrom("approve", "deny" as const))
  .map(([c, decision]) => signReceipt(c, alice, { decision }));
const pairingRequest = fc.constant(null).map(() => makePairingRequest());
const pairing = pairingRequest.map((request) => signPairing(request, alice));
const keyRegistration = fc.constant(null).map(() =>
  signKeyRegistration(alice, {
    sub: "5d1c0e1e-4d7a-4b6b-9c61-1f0f3b1a2c3d",
    iss: "https://sso.example/realms/hitl",
    aud: "https://hitl.example",
  }),
);
const wireError = fc.constant({ code: "ERR_TIMEOUT", message: "Nobody decided within 120 s; run the request again." });
const status = fc
  .record({
    kid: optional(fc.constant(alice.kid)),
    subject: optional(fc.constant("alice")),
    keyPolicy: fc.constantFrom("persistent", "session"),
  })
  .map((fields) => withOptional({ keyPresent: true, pending: 2, ...fields }));
const teamKey = fc
  .record({ revokedAt: optional(fc.constant(1_800_000_100)), thisBrowser: fc.boolean() })
  .map((fields) => withOptional({ kid: alice.kid, createdAt: 1_800_000_000, expiresAt: 1_900_000_000, ...fields }));
const teamKeys = fc.array(teamKey, { maxLength: 3 });
const keyLifetime = optional(fc.constantFrom("persistent", "session"));

const hostToExtension = fc.oneof(
  fc.constant({ type: "host.hello", hostVersion: "0.1.0", port: 7331, pid: 4242 }),
  wireError.map((error) => ({ type: "host.error", error })),
  fc.constantFrom("sign.prepare", "request.withdraw", "status.request", "keys.list").map((type) => ({ type, requestId: REQUEST_ID })),
  challenge.map((c) => ({ type: "sign.request", requestId: REQUEST_ID, challenge: c })),
  fc
    .tuple(pairingRequest, keyLifetime)
    .map(([request, lifetime]) => withOptional({ type: "pair.request", requestId: REQUEST_ID, request, keyLifetime: lifetime })),
  fc.constant({ type: "keys.revoke", requestId: REQUEST_ID, kid: alice.kid }),
);
const extensionToHost = fc.oneof(
  status.map((s) => ({ ...EXTENSION_HELLO, status: s })),
  receipt.map((r) => ({ type: "sign.result", requestId: REQUEST_ID, receipt: r })),
  pairing.map((p) => ({ type: "pair.result", requestId: REQUEST_ID, pairing: p })),
  wireError.map((error) => ({ type: "request.error", requestId: REQUEST_ID, error })),
  status.map((s) => ({ type: "status.result", requestId: REQUEST_ID, status: s })),
  status.map((s) => ({ type: "status.update", status: s })),
  teamKeys.map((keys) => ({ type: "keys.list.result", requestId: REQUEST_ID, keys })),
  fc.constant({ type: "keys.revoke.result", requestId: REQUEST_ID, kid: alice.kid }),
);

/** Every parser of the protocol module, with valid inputs for it. */
const parsers: Record<string, [fc.Arbitrary<unknown>, (value: unknown) => unknown]> = {
  parseJsonValue: [details, (v) => protocol.parseJsonValue(v, "details")],
  parseChallenge: [challenge, (v) => protocol.parseChallenge(v)],
  parseDecisionStatement: [receipt.map((r) => r.statement), (v) => protocol.parseDecisionStatement(v)],
  parseReceipt: [receipt, (v) => protocol.parseReceipt(v)],
  parseReceiptJson: [receipt, (v) => protocol.parseReceiptJson(JSON.stringify(v))],
  parseReceiptBytes: [receipt, (v) => protocol.parseReceiptBytes(protocol.utf8(JSON.stringify(v)))],
  parsePairingRequest: [pairingRequest, (v) => protocol.parsePairingRequest(v)],
  parsePairingStatement: [pairing.map((p) => p.statement), (v) => protocol.parsePairingStatement(v)],
  parsePairingResponse: [pairing, (v) => protocol.parsePairingResponse(v)],
  parseKeyRegistrationStatement: [keyRegistration.map((r) => r.statement), (v) => protocol.parseKeyRegistrationStatement(v)],
  parseKeyRegistration: [keyRegistration, (v) => protocol.parseKeyRegistration(v)],
  parseWireError: [wireError, (v) => protocol.parseWireError(v, "error")],
  parseExtensionStatus: [status, (v) => protocol.parseExtensionStatus(v, "status")],
  parseTeamKeyEntry: [teamKey, (v) => protocol.parseTeamKeyEntry(v, "key")],
  parseTeamKeyList: [teamKeys, (v) => protocol.parseTeamKeyList(v, "keys")],
  parseHostToExtension: [hostToExtension, (v) => protocol.parseHostToExtension(v)],
  parseExtensionToHost: [extensionToHost, (v) => protocol.parseExtensionToHost(v)],
  parseSignRequestBody: [challenge.map((c) => ({ challenge: c })), (v) => protocol.parseSignRequestBody(v)],
  parsePairRequestBody: [
    fc.tuple(pairingRequest, keyLifetime).map(([request, lifetime]) => withOptional({ request, keyLifetime: lifetime })),
    (v) => protocol.parsePairRequestBody(v),
  ],
  parseKeysListRequestBody: [fc.constant({}), (v) => protocol.parseKeysListRequestBody(v)],
  parseKeysRevokeRequestBody: [fc.constant({ kid: alice.kid }), (v) => protocol.parseKeysRevokeRequestBody(v)],
  parseKeysListResponseBody: [teamKeys.map((keys) => ({ keys })), (v) => protocol.parseKeysListResponseBody(v)],
  parseKeysRevokeResponseBody: [fc.constant({ kid: alice.kid }), (v) => protocol.parseKeysRevokeResponseBody(v)],
  parseHealthResponseBody: [
    status.chain((s) =>
      fc.constantFrom(
        { host: { version: "0.1.0", pid: 4242, port: 7331 }, extension: { connected: false } },
        {
          host: { version: "0.1.0", pid: 4242, port: 7331 },
          extension: { connected: true, extensionVersion: "0.1.0", browser: "firefox", ...s },
        },
      ),
    ),
    (v) => protocol.parseHealthResponseBody(v),
  ],
};
/** Parsers that build no document of their own. */
const NOT_BUILDERS = new Set([
  // JSON text -> the JSON.parse tree (duplicate names refused); the document parsers above then build.
  "parseStrictJson",
]);

/** The same document with the members of every object inserted in an order drawn from `seed`. */
function shuffled(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffled(item, random));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).map(([name, member]) => [name, shuffled(member, random)] as const);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  const out = {};
  for (const [name, member] of entries)
    Object.defineProperty(out, name, { value: member, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Paths of the objects whose members are not in JCS order. */
function unsorted(value: unknown, path = "$"): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => unsorted(item, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  const names = Object.keys(value);
  // JS string comparison is by UTF-16 code units, which is JCS's order.
  const own = names.every((name, i) => i === 0 || names[i - 1]! < name) ? [] : [`${path}: ${names.join(", ")}`];
  return [...own, ...names.flatMap((name) => unsorted((value as Record<string, unknown>)[name], `${path}.${name}`))];
}

describe("canonical member order", () => {
  it("every parser of the protocol module is listed here", () => {
    const exported = Object.entries(protocol)
      .filter(([name, value]) => /^parse[A-Z]/.test(name) && typeof value === "function")
      .map(([name]) => name);
    expect(exported.filter((name) => !(name in parsers) && !NOT_BUILDERS.has(name))).toEqual([]);
    expect(Object.keys(parsers).filter((name) => !exported.includes(name))).toEqual([]);
  });

  it("finds an object out of order (the check can fail)", () => {
    expect(unsorted({ b: 1, a: { d: [{ f: 1, e: 2 }] } })).toEqual(["$: b, a", "$.a.d[0]: f, e"]);
    expect(unsorted({ "𝄞": 1, ﬀ: 2 })).toEqual([]);
  });

  for (const [name, [input, parse]] of Object.entries(parsers)) {
    it(`${name}: any valid input, members in any order, parses to objects sorted at every level`, () => {
      fc.assert(
        fc.property(input, fc.integer(), (document, seed) => {
          let state = seed;
          // mulberry32: a small seeded generator, so a failure replays from fast-check's seed.
          const random = () => {
            state = (state + 0x6d2b79f5) | 0;
            let t = Math.imul(state ^ (state >>> 15), 1 | state);
            t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
            return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
          };
          expect(unsorted(parse(shuffled(document, random)))).toEqual([]);
        }),
        { numRuns: 150 },
      );
    });
  }
});
