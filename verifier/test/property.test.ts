import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LocalKeyDirectory } from "../src/keys/local-key-directory.js";
import { hasVisibleCharacter } from "../src/protocol/lib/characters.js";
import type { JsonValue } from "../src/protocol/types.js";
import { makeApprover, makeChallenge, signReceipt, wire } from "../src/testing/index.js";
import { verifyReceipt } from "../src/verify-receipt.js";

const alice = makeApprover("alice");
const keys = LocalKeyDirectory.fromPublicKey("alice", alice.publicKey);
const verify = (receipt: unknown) => verifyReceipt(receipt, { aud: "hitl-cli" }, { keys, nonces: "offline-audit" });

type Path = (string | number)[];

/** Every leaf (string, number, boolean, null) of a JSON document, with its path. */
function leaves(value: unknown, path: Path = []): { path: Path; value: JsonValue }[] {
  if (value === null || typeof value !== "object") return [{ path, value: value as JsonValue }];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([key, member]) => leaves(member, [...path, key]));
}

function setAt(document: unknown, path: Path, replacement: unknown): unknown {
  const copy = wire(document) as Record<string | number, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  target[path[path.length - 1]!] = replacement;
  return copy;
}

/** A different value for a leaf: same type when possible, sometimes another type. */
function changed(value: JsonValue, seed: number): JsonValue {
  switch (typeof value) {
    case "string": {
      if (value.length === 0) return "x";
      const i = seed % value.length;
      const c = value.charCodeAt(i);
      // Flip to another character from the same class, so base64url values stay base64url.
      const next = /[A-Za-z0-9]/.test(value[i]!) ? (c === 0x41 ? "B" : "A") : c === 0x2d ? "_" : "-";
      return seed % 7 === 0 ? `${value} ` : value.slice(0, i) + next + value.slice(i + 1);
    }
    case "number":
      return seed % 5 === 0 ? String(value) : value + (seed % 2 === 0 ? 1 : -1);
    case "boolean":
      return !value;
    default:
      return seed % 2 === 0 ? 0 : "null";
  }
}

const textArb = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom("a", " ", "\n", "\t", "é", "e\u0301", "😀", "👩‍💻", "ש", "ع", "\u202e", "\u0001", "\u007f", "\u2028"),
      fc.constant("Z"),
    ),
    minLength: 1,
    maxLength: 40,
  })
  .filter((s) => hasVisibleCharacter(s));

describe("property: a valid receipt, changed in any single value, is rejected", () => {
  const base = wire(
    signReceipt(
      makeChallenge({ action: { summary: "delete /tmp/x ✓", details: { path: "/tmp/x", n: 3, deep: [true, null, { k: "v" }] } } }),
      alice,
    ),
  );

  it("the unchanged receipt verifies", async () => {
    await expect(verify(base)).resolves.toMatchObject({ approver: { sub: "alice" } });
  });

  it("every leaf, changed", async () => {
    const all = leaves(base);
    expect(all.length).toBeGreaterThan(20);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: all.length - 1 }), fc.nat(), async (index, seed) => {
        const leaf = all[index]!;
        const replacement = changed(leaf.value, seed);
        expect(replacement).not.toEqual(leaf.value);
        await expect(verify(setAt(base, leaf.path, replacement))).rejects.toMatchObject({
          name: "HitlError",
          code: expect.stringMatching(/^ERR_/),
        });
      }),
      { numRuns: 400 },
    );
  });
});

describe("property: non-ASCII actions round-trip and verify", () => {
  it("any Unicode summary and details (emoji, combining, RTL, controls but NUL) sign and verify, through JSON text too", async () => {
    await fc.assert(
      fc.asyncProperty(textArb, fc.dictionary(textArb, textArb, { maxKeys: 4, noNullPrototype: true }), async (summary, details) => {
        const receipt = signReceipt(makeChallenge({ action: { summary, details } }), alice);
        await expect(verify(receipt)).resolves.toBeDefined();
        await expect(verify(JSON.stringify(receipt))).resolves.toBeDefined();
      }),
      { numRuns: 150 },
    );
  });
});
