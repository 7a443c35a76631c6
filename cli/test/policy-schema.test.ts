import { readFileSync } from "node:fs";
import { LIMITS } from "@hitl/verifier";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY_JSON, POLICY_SCHEMA_ID } from "../src/policy/lib/default-rules.js";
import { DocumentInvalid, MAX_AUDIENCE_BYTES, MAX_TIMEOUT_SECONDS, validateDocument } from "../src/policy/lib/validate-document.js";

/*
 * The published JSON Schema (cli/policy.schema.json, shipped in the package) and the validator
 * hitl runs agree: both accept the default policy and the README's example, and both refuse each
 * invalid example. A few refusals need more than a schema can say (unique ids, rules that can
 * never match, a "/" in a program name); those the validator alone makes, listed apart.
 */
const schema = JSON.parse(readFileSync(new URL("../policy.schema.json", import.meta.url), "utf8")) as Record<string, unknown>;
const ajv = new Ajv2020.default({ allErrors: true, strict: true });
const validateWithSchema = ajv.compile(schema);

function handAccepts(value: unknown): boolean {
  try {
    validateDocument(value);
    return true;
  } catch (error) {
    if (error instanceof DocumentInvalid) return false;
    throw error;
  }
}

const rule = (when: unknown, extra: Record<string, unknown> = {}) => ({
  version: 1,
  rules: [{ id: "r", decision: "ask", when, ...extra }],
});

const VALID: [string, unknown][] = [
  ["the default policy", DEFAULT_POLICY_JSON],
  ["no rules", { version: 1, rules: [] }],
  ["every field", { $schema: POLICY_SCHEMA_ID, version: 1, secure: false, includeDefaultRules: true, otherwise: "ask", rules: [] }],
  ["a string where a list may be", rule({ tool: "Bash", kind: "shell", command: { program: "rm", flags: "-r" } })],
  ["timeout and audience", rule({ tool: "Bash" }, { timeout: 3600, audience: "ops", reason: "why" })],
  ["paths", rule({ writes: { outsideProject: true, paths: ["~/.ssh/**", "**/.env"] } })],
  ["mcp", rule({ mcp: { server: "github", tool: ["create_*"], readOnly: false } })],
];

const INVALID: [string, unknown][] = [
  ["not an object", []],
  ["version missing", { rules: [] }],
  ["version 2", { version: 2, rules: [] }],
  ["rules missing", { version: 1 }],
  ["unknown top key", { version: 1, rules: [], extra: true }],
  ["secure a string", { version: 1, rules: [], secure: "yes" }],
  ["otherwise invalid", { version: 1, rules: [], otherwise: "maybe" }],
  ["rule without id", { version: 1, rules: [{ decision: "ask", when: { tool: "Bash" } }] }],
  ["rule id with spaces", { version: 1, rules: [{ id: "Bad Id", decision: "ask", when: { tool: "Bash" } }] }],
  ["unknown rule key", { version: 1, rules: [{ id: "a", decision: "ask", when: { tool: "Bash" }, decison: "x" }] }],
  ["decision invalid", { version: 1, rules: [{ id: "a", decision: "maybe", when: { tool: "Bash" } }] }],
  ["timeout 0", rule({ tool: "Bash" }, { timeout: 0 })],
  ["timeout too long", rule({ tool: "Bash" }, { timeout: MAX_TIMEOUT_SECONDS + 1 })],
  ["timeout fraction", rule({ tool: "Bash" }, { timeout: 1.5 })],
  ["audience empty", rule({ tool: "Bash" }, { audience: "" })],
  ["audience too long", rule({ tool: "Bash" }, { audience: "a".repeat(257) })],
  ["reason with a control character", rule({ tool: "Bash" }, { reason: "a\u0007b" })],
  ["reason with a bidi override", rule({ tool: "Bash" }, { reason: "a\u202eb" })],
  ["when missing", { version: 1, rules: [{ id: "a", decision: "ask" }] }],
  ["when empty", rule({})],
  ["unknown kind", rule({ kind: "exec" })],
  ["empty tool list", rule({ tool: [] })],
  ["tool listed twice", rule({ tool: ["Bash", "Bash"] })],
  ["empty tool name", rule({ tool: "" })],
  ["flag without a dash", rule({ command: { flags: ["r"] } })],
  ["command empty", rule({ command: {} })],
  ["unknown command key", rule({ command: { programs: "rm" } })],
  ["sql other than destructive", rule({ command: { sql: "all" } })],
  ["downloadPipedIn false", rule({ command: { downloadPipedIn: false } })],
  ["writes empty", rule({ writes: {} })],
  ["outsideProject false", rule({ writes: { outsideProject: false } })],
  ["mcp readOnly a string", rule({ mcp: { readOnly: "yes" } })],
  ["mcp empty", rule({ mcp: {} })],
];

const REFUSED_BY_THE_VALIDATOR_ONLY: [string, unknown][] = [
  [
    "a rule id used twice",
    {
      version: 1,
      rules: [
        { id: "a", decision: "ask", when: { tool: "A" } },
        { id: "a", decision: "ask", when: { tool: "B" } },
      ],
    },
  ],
  ["a rule that can never match", rule({ mcp: { server: "x" }, command: { program: "rm" } })],
  ["a kind that excludes the matcher", rule({ kind: "fetch", writes: { outsideProject: true } })],
  ["a program with a path", rule({ command: { program: "/bin/rm" } })],
  ["an audience over 256 UTF-8 bytes in fewer characters", rule({ tool: "Bash" }, { audience: "€".repeat(100) })],
];

describe("the published JSON Schema", () => {
  it("is the schema the default policy names", () => {
    expect(schema.$id).toBe(POLICY_SCHEMA_ID);
    expect(DEFAULT_POLICY_JSON.$schema).toBe(POLICY_SCHEMA_ID);
  });

  it("uses the protocol's limits", () => {
    expect(MAX_TIMEOUT_SECONDS).toBe(LIMITS.maxLifetimeSeconds);
    expect(MAX_AUDIENCE_BYTES).toBe(LIMITS.audienceBytes);
  });

  it.each(VALID)("accepts %s, as the validator does", (_name, document) => {
    expect(validateWithSchema(document), JSON.stringify(validateWithSchema.errors)).toBe(true);
    expect(handAccepts(document)).toBe(true);
  });

  it.each(INVALID)("refuses %s, as the validator does", (_name, document) => {
    expect(validateWithSchema(document)).toBe(false);
    expect(handAccepts(document)).toBe(false);
  });

  it.each(REFUSED_BY_THE_VALIDATOR_ONLY)("leaves %s to the validator, which refuses it", (_name, document) => {
    expect(validateWithSchema(document)).toBe(true);
    expect(handAccepts(document)).toBe(false);
  });
});
