import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { freePort, parseJsonOutcome, runHitl } from "./harness/index.js";

/* No browser, so no signing host: `hitl request` must fail closed, fast, and say what to do. */
const root = mkdtempSync(join(tmpdir(), "hitl-e2e-nohost-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Set up as a user would (`hitl setup` creates the host secret), but no browser runs the host.
beforeAll(async () => {
  const setup = await runHitl(["setup", "--browser", "chromium", "--user-data-dir", join(root, "profile")], await envWithoutHost()).done;
  if (setup.code !== 0) throw new Error(`hitl setup failed (${setup.code}):\n${setup.stdout}${setup.stderr}`);
});

async function envWithoutHost(): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HITL_PORT: String(await freePort()),
    HITL_CONFIG_DIR: join(root, "config"),
    HITL_STATE_DIR: join(root, "state"),
  };
  delete env.HITL_REDIS_URL;
  return env;
}

test("host not running -> exit 3 within a second, ERR_HOST_UNREACHABLE with a remedy", async () => {
  const run = runHitl(["request", "--action", "delete /tmp/testfile", "--json"], await envWithoutHost());
  const result = await run.done;
  expect(result.code).toBe(3);
  expect(result.endedAt - run.startedAt).toBeLessThan(1000);
  expect(parseJsonOutcome(result)).toMatchObject({
    decision: "error",
    code: "ERR_HOST_UNREACHABLE",
    message: expect.stringMatching(/browser|hitl setup|hitl doctor/),
  });
});

test("host not running, human-readable: one line on stderr naming the code", async () => {
  const run = runHitl(["request", "--action", "delete /tmp/testfile"], await envWithoutHost());
  const result = await run.done;
  expect(result.code).toBe(3);
  expect(result.endedAt - run.startedAt).toBeLessThan(1000);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/^hitl: ERR_HOST_UNREACHABLE: .+\n$/);
});

test("never set up (no host secret) -> exit 3 at once, ERR_HOST_SECRET_MISSING telling to run hitl setup", async () => {
  const env = { ...(await envWithoutHost()), HITL_CONFIG_DIR: join(root, "never-set-up") };
  const run = runHitl(["request", "--action", "delete /tmp/testfile", "--json"], env);
  const result = await run.done;
  expect(result.code).toBe(3);
  expect(parseJsonOutcome(result)).toMatchObject({
    decision: "error",
    code: "ERR_HOST_SECRET_MISSING",
    message: `The hitl host secret ${join(root, "never-set-up", "host-secret")} does not exist, so the signing host cannot be told apart from another program on its port. Run \`hitl setup\` (it creates the secret), then restart the browser.`,
  });
});
