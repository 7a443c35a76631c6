import { describe, expect, test } from "vitest";
import { pairBrowser } from "./harness/index.js";
import { scanForEd25519Seeds } from "./harness/key-scan.js";
import { configureTeam, sharedTeam, signInAndRegister, TEAM_PAGE } from "./harness/team.js";

/*
 * Team mode guards against a program running as the user, and such a program can copy a
 * persistent key out of the browser profile (e2e/key-at-rest.test.ts, the control). So team
 * registration never registers a persistent key: a browser that was paired locally with one
 * gets a session key (memory only) at registration, and the persistent record is deleted.
 */
const { session, kc, server } = sharedTeam([{ username: "alice", password: "alice-pw", realmRoles: ["hitl-approver"] }]);

describe("team registration and the key at rest (Chromium, Keycloak stand-in, real hitl server)", () => {
  test("a browser paired locally with a persistent key registers a new session key, never the persistent one", async () => {
    const paired = await pairBrowser(session, "alice-local");
    const localKid = (JSON.parse(paired.result.stdout) as { approver: { kid: string } }).approver.kid;

    const page = await session.context.newPage();
    await page.goto(TEAM_PAGE);
    await configureTeam(page, kc.url, server.url);
    await signInAndRegister(session, page, "alice", "alice-pw");
    await expect
      .poll(() => page.locator("#result").textContent(), { timeout: 20_000 })
      .toMatch(/^Registered this browser's key for alice, valid until /);

    const alice = kc.adminHelpers.userByUsername("alice")!;
    const entries = kc.adminHelpers.user(alice.id)!.attributes.hitl_keys ?? [];
    expect(entries).toHaveLength(1);
    const [, registeredKid, registeredPublicKey] = entries[0]!.split(".");
    expect(registeredKid).not.toBe(localKid);

    // The popup says the key now lives in memory only.
    const health = await session.health();
    expect(health.extension).toMatchObject({ keyPresent: true, kid: registeredKid, keyPolicy: "session" });

    // Quit the browser (profile files flushed): no file holds the private key that was registered.
    await session.restart({
      whileStopped: () => {
        const publicKeys = scanForEd25519Seeds(session.userDataDir).map((found) => found.publicKey);
        expect(publicKeys).not.toContain(registeredPublicKey);
      },
    });
  });
});
