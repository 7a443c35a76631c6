import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { clickButton, REPO_ROOT, readThrough, sharedSession } from "./harness/index.js";

/*
 * The Claude Code hook end to end: the PreToolUse JSON Claude Code sends for `rm -rf build`, fed
 * to the real `hitl hook claude-code` with the default policy (which gates `rm -r`), the real
 * window in Chromium with the real extension and native host, a click, and the answer Claude Code
 * reads: exit 2 with the deny JSON and the reason, or exit 0 with the allow decision.
 */
const session = sharedSession({ pairAs: "alice" });

const FIXTURE = readFileSync(`${REPO_ROOT}cli/test/fixtures/claude-code/bash.json`, "utf8");
const INPUT = (JSON.parse(FIXTURE) as { tool_input: Record<string, unknown> }).tool_input;

function hookRun() {
  const run = session.hitl(["hook", "claude-code"], { stdin: "pipe" });
  run.type(FIXTURE);
  run.endInput();
  return run;
}

describe("hitl hook claude-code", () => {
  test("rm -rf build -> the window shows the command, its directory and the whole tool input -> Deny -> blocked (exit 2, deny JSON)", async () => {
    const run = hookRun();
    const page = await session.nextWindow("approval", { run });
    expect(await page.locator("#summary").textContent()).toBe("Claude Code wants to run, in /home/dev/app:\nrm -rf build");
    const details = JSON.parse((await page.locator("#details").textContent()) ?? "") as Record<string, unknown>;
    expect(details).toMatchObject({ agent: "Claude Code", tool: "Bash", cwd: "/home/dev/app", input: INPUT });
    expect(String(details.why)).toContain("rule builtin:destructive-rm");
    expect(await page.locator("#requester").textContent()).toContain("hitl hook claude-code");
    await session.screenshot(page, "hook-claude-code");

    await clickButton(page, "Deny");
    const result = await run.done;
    expect(result.code).toBe(2);
    const reason =
      "hitl: the human denied this call in the approval window (ERR_DENIED, signed by alice). Do not retry it; ask the user how to proceed.";
    expect(result.stderr).toBe(`${reason}\n`);
    expect(JSON.parse(result.stdout)).toEqual({
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: reason },
    });
  });

  test("Approve -> exit 0 with the documented allow decision", async () => {
    const run = hookRun();
    const page = await session.nextWindow("approval", { run });
    // The whole tool input is taller than the window: Approve unlocks once all of it was on screen.
    await readThrough(page);
    await clickButton(page, "Approve");
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "allow",
        permissionDecisionReason: "Approved in hitl by alice (signature verified).",
      },
    });
  });
});
