import { readFile } from "node:fs";
import { defaultPolicyFile } from "./default-policy-file.js";
import { register } from "./lib/compiled.js";
import { DEFAULT_DOCUMENT } from "./lib/default-rules.js";
import { firstDuplicateKey, lineOf, syntaxErrorAt } from "./lib/json-locate.js";
import { DocumentInvalid, validateDocument } from "./lib/validate-document.js";
import type { LoadedPolicy, PolicyProblem } from "./types.js";

/** A policy file is small; anything larger is refused before parsing. */
export const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * Reads and validates the policy. Never throws for a bad file: a malformed or unreadable policy
 * gives a LoadedPolicy whose `problem` is set, and decide() then answers "ask" for everything.
 * A missing file at the default location means the built-in default policy; a file named
 * explicitly (options.file or HITL_POLICY) that is missing is a problem, since a typo must not
 * silently fall back to other rules.
 */
export async function loadPolicy(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): Promise<LoadedPolicy> {
  const env = options.env ?? process.env;
  try {
    return await load(options.file, env);
  } catch (error) {
    // Not expected (the steps above report their own problems); still never a throw, and never the default rules.
    const file = options.file ?? defaultPolicyFile(env);
    const reason = `could not be loaded (${error instanceof Error ? error.message : String(error)})`;
    return register(
      { file, problem: { code: "ERR_POLICY_UNREADABLE", file, line: undefined, reason } },
      { document: undefined, builtin: false },
    );
  }
}

async function load(fileOption: string | undefined, env: NodeJS.ProcessEnv): Promise<LoadedPolicy> {
  const options = { file: fileOption };
  const explicit = options.file !== undefined || (env.HITL_POLICY !== undefined && env.HITL_POLICY.length > 0);
  const file = options.file ?? defaultPolicyFile(env);
  const problem = (code: string, line: number | undefined, reason: string): LoadedPolicy => {
    const found: PolicyProblem = { code, file, line, reason };
    return register({ file, problem: found }, { document: undefined, builtin: false });
  };
  let bytes: Buffer;
  try {
    bytes = await readWhole(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) return register({ file, problem: undefined }, { document: DEFAULT_DOCUMENT, builtin: true });
    return problem("ERR_POLICY_UNREADABLE", undefined, `cannot be read (${code ?? String(error)})`);
  }
  if (bytes.length > MAX_POLICY_BYTES) return problem("ERR_POLICY_INVALID", undefined, `the file is larger than ${MAX_POLICY_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return problem("ERR_POLICY_INVALID", undefined, "the file is not valid UTF-8");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const { line, reason } = await syntaxErrorAt(text);
    return problem("ERR_POLICY_INVALID", line, reason);
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) {
    return problem(
      "ERR_POLICY_INVALID",
      duplicate.line,
      `the key "${duplicate.key}" appears twice in one object (which one counts would be a guess)`,
    );
  }
  try {
    return register({ file, problem: undefined }, { document: validateDocument(parsed), builtin: false });
  } catch (error) {
    if (!(error instanceof DocumentInvalid)) throw error;
    return problem("ERR_POLICY_INVALID", await lineOf(text, error.issue.at), error.issue.reason);
  }
}

/*
 * node:fs's callback readFile: node:fs/promises is not in Node's start-up snapshot, and loading it
 * cost every hook process (which reads this file once) about 2 ms.
 */
function readWhole(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => readFile(file, (error, bytes) => (error === null ? resolve(bytes) : reject(error))));
}
