import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/*
 * An allowed tool call must cost almost nothing (it runs before every tool call), so the hook's
 * bundle holds only stdin, the policy and the answer: the asking path (SDK, node:http, the
 * verifier's crypto) and `hook install` are imported at run time from tsc's output, by a path
 * that names the same file from dist/bundle/ as from dist/hooks/ and dist/commands/.
 */
const DIST = fileURLToPath(new URL("../dist/", import.meta.url));

describe("the hook bundle (after pnpm build)", () => {
  it("leaves the asking path and install out, and the paths it imports them by exist from the bundle's directory", () => {
    const bundle = readFileSync(`${DIST}bundle/hook.js`, "utf8");
    for (const heavy of ['from "node:http"', 'from "node:crypto"', "requestApproval", "installHook"]) expect(bundle).not.toContain(heavy);
    for (const lazy of ["../hooks/lib/ask-human.js", "../hooks/install-command.js"]) {
      expect(bundle).toContain(`import("${lazy}")`);
      expect(existsSync(fileURLToPath(new URL(lazy, `file://${DIST}bundle/hook.js`)))).toBe(true);
    }
  });

  it("imports momoa (line numbers of a malformed policy) by name at run time instead of carrying it", () => {
    const bundle = readFileSync(`${DIST}bundle/hook.js`, "utf8");
    expect(bundle).toContain('import("@humanwhocodes/momoa")');
    expect(bundle).not.toContain("node_modules/@humanwhocodes/momoa/");
  });
});
