import { describe, expect, it } from "vitest";
import { DEFAULT_DOCUMENT, DEFAULT_POLICY_JSON } from "../src/policy/lib/default-rules.js";
import { validateDocument } from "../src/policy/lib/validate-document.js";

/*
 * The built-in default policy is used without running the validator (it ran at import on every
 * hook call); this is where it is validated instead.
 */
describe("the built-in default policy", () => {
  it("is exactly what validateDocument makes of the file form `hitl policy init` writes", () => {
    expect(DEFAULT_DOCUMENT).toStrictEqual(validateDocument(DEFAULT_POLICY_JSON));
  });

  it("the comparison sees a rule the validator would refuse", () => {
    const broken = { ...DEFAULT_POLICY_JSON, rules: [...DEFAULT_POLICY_JSON.rules, { id: "x", decision: "maybe", when: {} }] };
    expect(() => validateDocument(broken)).toThrow(/decision/);
  });
});
