import { ApprovalDenied, requireHumanApproval } from "@hitl/sdk";
import { describe, expect, test } from "vitest";
import { clickButton, readThrough, sharedSession } from "./harness/index.js";

/*
 * @hitl/sdk's decorator in front of a real function, the human being real Chromium with the real
 * extension: a click decides whether the method body runs, and with which arguments.
 */
const session = sharedSession({ pairAs: "alice" });

interface Release {
  tag: string;
  targets: string[];
}

function makeReleaser(env: NodeJS.ProcessEnv) {
  return class Releaser {
    readonly published: Release[] = [];

    @requireHumanApproval((release: Release) => `Publish ${release.tag} to ${release.targets.join(", ")}`, {
      env,
      name: "Releaser.publish",
      timeoutSeconds: 300,
    })
    async publish(release: Release): Promise<string> {
      this.published.push(release);
      return `published ${release.tag}`;
    }
  };
}

describe("a decorated function", () => {
  test("approved by a click: runs once, with the arguments the window showed (not the caller's later edits)", async () => {
    const releaser = new (makeReleaser(session.env))();
    const release: Release = { tag: "v1.4.0", targets: ["npm"] };
    // Settled either way, so a failed assertion below reports itself, not an unhandled rejection.
    const result = releaser.publish(release).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const page = await session.nextWindow("approval");
    expect(await page.locator("#summary").textContent()).toBe("Publish v1.4.0 to npm");
    const shown = { call: "Releaser.publish", arguments: [{ tag: "v1.4.0", targets: ["npm"] }] };
    expect(JSON.parse((await page.locator("#details").textContent()) ?? "")).toEqual(shown);
    expect(await page.locator("#requester").textContent()).toContain(String(process.pid));

    // The caller changes its object while the human reads the window.
    release.tag = "v9.9.9";
    release.targets.push("production-mirror");

    // Approve unlocks once every part of the request has been on screen.
    await readThrough(page);
    await clickButton(page, "Approve");
    expect(await result).toEqual({ value: "published v1.4.0" });
    expect(releaser.published).toEqual([{ tag: "v1.4.0", targets: ["npm"] }]);
  });

  test("Deny: ApprovalDenied (signed by alice), and the function never ran", async () => {
    const releaser = new (makeReleaser(session.env))();
    const result = releaser.publish({ tag: "v2.0.0", targets: ["npm"] }).catch((error: unknown) => error);
    const page = await session.nextWindow("approval");
    expect(await page.locator("#summary").textContent()).toBe("Publish v2.0.0 to npm");
    await clickButton(page, "Deny");
    const error = await result;
    expect(error).toBeInstanceOf(ApprovalDenied);
    expect(error).toMatchObject({ name: "ApprovalDenied", code: "ERR_DENIED", approver: { sub: "alice" } });
    expect((error as ApprovalDenied).receipt?.statement).toMatchObject({ decision: "deny", sub: "alice" });
    expect(releaser.published).toEqual([]);
  });
});
