import { readFileSync } from "node:fs";
import { parseKeyRegistration, signingInput } from "@hitl/verifier/protocol";
import { describe, expect, it } from "vitest";
import type { TokenClaims } from "../src/lib/access-token.js";
import { checkRegistration } from "../src/lib/check-registration.js";

/* verifier/test/vectors/key-registrations.json (docs/protocol.md §3.8) through the server's checks 3–6. */

const FILE = new URL("../../verifier/test/vectors/key-registrations.json", import.meta.url);
const data = JSON.parse(readFileSync(FILE, "utf8")) as {
  verifyAt: number;
  serverUrl: string;
  token: { sub: string; iss: string };
  vectors: Array<{
    name: string;
    body: { statement: Record<string, unknown>; sig: string };
    signingInputHex: string;
    expect: { valid: boolean; code?: string };
  }>;
};

describe("key registration vectors", () => {
  const claims = { sub: data.token.sub, iss: data.token.iss } as TokenClaims;
  const options = { publicUrl: data.serverUrl, nowMs: data.verifyAt * 1000 };

  it("cover a valid registration and every refusal of checks 3–6", () => {
    expect(data.vectors.filter((v) => v.expect.valid)).toHaveLength(1);
    expect(new Set(data.vectors.map((v) => v.expect.code).filter(Boolean)).size).toBeGreaterThanOrEqual(7);
  });

  for (const vector of data.vectors) {
    it(`${vector.name}: ${vector.expect.valid ? "registered" : vector.expect.code}`, () => {
      if (vector.expect.valid) {
        const { statement } = checkRegistration(vector.body, claims, options);
        expect(Buffer.from(signingInput("keyRegistration", statement)).toString("hex")).toBe(vector.signingInputHex);
        expect(statement).toEqual(parseKeyRegistration(vector.body).statement);
      } else {
        expect(() => checkRegistration(vector.body, claims, options)).toThrow(expect.objectContaining({ code: vector.expect.code }));
      }
    });
  }
});
