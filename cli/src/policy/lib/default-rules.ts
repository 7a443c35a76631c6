import type { PolicyDocument } from "./model.js";

/** The $id of cli/policy.schema.json; `hitl policy init` writes it as "$schema". */
export const POLICY_SCHEMA_ID = "https://hitl.dev/schemas/policy-v1.json";

/**
 * The built-in default policy, in the file format (`hitl policy init` writes exactly this).
 * Asks before what cannot be undone or reaches outside the project; allows the rest. Changes to
 * hitl's own configuration and to agents' hook settings are guarded separately and always
 * (lib/protected-paths.ts), whatever a policy file says.
 */
export const DEFAULT_POLICY_JSON = {
  $schema: POLICY_SCHEMA_ID,
  version: 1,
  otherwise: "allow",
  includeDefaultRules: false,
  rules: [
    {
      id: "destructive-rm",
      decision: "ask",
      reason: "rm -r deletes a directory tree",
      when: { command: { program: ["rm"], flags: ["-r", "-R", "--recursive"] } },
    },
    {
      id: "find-delete",
      decision: "ask",
      reason: "find -delete deletes every file it finds",
      when: { command: { program: ["find"], flags: ["-delete"] } },
    },
    {
      id: "git-push-force",
      decision: "ask",
      reason: "a forced git push rewrites the remote's history",
      when: {
        command: {
          program: ["git"],
          subcommand: ["push"],
          flags: ["-f", "--force", "--force-with-lease", "--force-if-includes", "--mirror", "--delete", "-d", "--prune"],
        },
      },
    },
    {
      id: "git-push-refspec",
      decision: "ask",
      reason: "a git push refspec starting with + forces, one starting with : deletes a remote branch",
      when: { command: { program: ["git"], subcommand: ["push"], args: ["+*", ":*"] } },
    },
    {
      id: "git-reset-hard",
      decision: "ask",
      reason: "git reset --hard discards uncommitted work",
      when: { command: { program: ["git"], subcommand: ["reset"], flags: ["--hard"] } },
    },
    {
      id: "git-clean-force",
      decision: "ask",
      reason: "git clean -f deletes untracked files",
      when: { command: { program: ["git"], subcommand: ["clean"], flags: ["-f", "--force"] } },
    },
    {
      id: "recursive-chmod",
      decision: "ask",
      reason: "a recursive chmod/chown changes a whole tree",
      when: { command: { program: ["chmod", "chown", "chgrp"], flags: ["-R", "--recursive"] } },
    },
    {
      id: "disk-tools",
      decision: "ask",
      reason: "dd, mkfs and partitioning tools overwrite disks",
      when: { command: { program: ["dd", "mkfs", "mkfs.*", "mke2fs", "mkswap", "wipefs", "fdisk", "sfdisk", "parted"] } },
    },
    {
      id: "shred",
      decision: "ask",
      reason: "shred destroys file contents for good",
      when: { command: { program: ["shred", "wipe", "srm"] } },
    },
    {
      id: "download-to-shell",
      decision: "ask",
      reason: "a download piped into a shell runs code nobody has read",
      when: { command: { downloadPipedIn: true } },
    },
    {
      id: "destructive-sql",
      decision: "ask",
      reason: "the SQL drops or truncates, deletes or updates without WHERE, or cannot be read",
      when: { command: { sql: "destructive" } },
    },
    {
      id: "kubectl-delete",
      decision: "ask",
      reason: "kubectl delete removes cluster resources",
      when: { command: { program: ["kubectl", "oc"], subcommand: ["delete"] } },
    },
    {
      id: "helm-uninstall",
      decision: "ask",
      reason: "helm uninstall removes a release",
      when: { command: { program: ["helm"], subcommand: ["uninstall", "delete"] } },
    },
    {
      id: "terraform-destroy",
      decision: "ask",
      reason: "terraform destroy removes infrastructure",
      when: { command: { program: ["terraform", "tofu"], subcommand: ["destroy"] } },
    },
    {
      id: "terraform-apply-destroy",
      decision: "ask",
      reason: "terraform apply -destroy removes infrastructure",
      when: { command: { program: ["terraform", "tofu"], flags: ["-destroy", "--destroy"] } },
    },
    {
      id: "docker-prune",
      decision: "ask",
      reason: "docker prune deletes containers, images or volumes",
      when: { command: { program: ["docker", "podman"], subcommand: ["prune"] } },
    },
    {
      id: "redis-flush",
      decision: "ask",
      reason: "FLUSHALL/FLUSHDB empties a Redis database",
      when: {
        command: { program: ["redis-cli", "valkey-cli"], args: ["[Ff][Ll][Uu][Ss][Hh][Aa][Ll][Ll]", "[Ff][Ll][Uu][Ss][Hh][Dd][Bb]"] },
      },
    },
    {
      id: "privileged",
      decision: "ask",
      reason: "sudo runs as another user, usually root",
      when: { command: { program: ["sudo", "sudoedit", "doas", "su", "pkexec", "run0"] } },
    },
    { id: "write-outside-project", decision: "ask", reason: "it writes outside the project", when: { writes: { outsideProject: true } } },
    { id: "mcp-read-only", decision: "allow", reason: "the MCP tool is annotated readOnlyHint: true", when: { mcp: { readOnly: true } } },
    { id: "mcp-other", decision: "ask", reason: "the MCP tool is not annotated read-only", when: { kind: ["mcp"] } },
  ],
} as const;

/**
 * DEFAULT_POLICY_JSON as the model validateDocument makes of it, built without running the
 * validator: that ran at import on every hook call and cost it ~2 ms (the validator's code is cold
 * in a fresh process). The rules above already have the model's shape; test/policy-default.test.ts
 * checks that this is exactly validateDocument(DEFAULT_POLICY_JSON), so an edit the validator would
 * refuse or normalise fails the tests instead of shipping.
 */
export const DEFAULT_DOCUMENT: PolicyDocument = {
  version: DEFAULT_POLICY_JSON.version,
  secure: false,
  includeDefaultRules: DEFAULT_POLICY_JSON.includeDefaultRules,
  otherwise: DEFAULT_POLICY_JSON.otherwise,
  rules: DEFAULT_POLICY_JSON.rules.map((rule) => ({ ...rule, timeout: undefined, audience: undefined })),
};
