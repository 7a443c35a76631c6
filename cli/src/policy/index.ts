// The policy module's whole API (the contract with the hooks and the MCP gate: /work/briefs/policy-api.md).
export { decide } from "./decide.js";
export { decideNow } from "./decide-now.js";
export { defaultPolicyFile } from "./default-policy-file.js";
export { loadPolicy } from "./load-policy.js";
export type { LoadedPolicy, PolicyProblem, PolicyVerdict, ToolCall } from "./types.js";
