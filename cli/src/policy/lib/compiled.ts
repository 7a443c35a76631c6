import type { LoadedPolicy } from "../types.js";
import type { PolicyDocument } from "./model.js";

/** What decide() needs beyond the public LoadedPolicy; kept off the object so callers cannot forge it. */
export interface CompiledPolicy {
  /** undefined when the file has a problem: then everything is "ask". */
  readonly document: PolicyDocument | undefined;
  /** Rule ids are reported as "builtin:<id>" when the rules are the built-in default. */
  readonly builtin: boolean;
}

const COMPILED = new WeakMap<LoadedPolicy, CompiledPolicy>();

export function register(policy: LoadedPolicy, compiled: CompiledPolicy): LoadedPolicy {
  COMPILED.set(policy, compiled);
  return policy;
}

export function compiledOf(policy: LoadedPolicy): CompiledPolicy | undefined {
  return COMPILED.get(policy);
}
