import { intentDigest } from "@hitl/verifier";
import { afterEach, describe, expect, it } from "vitest";
import { ApprovalDenied, ApprovalUnavailable, currentApproval, requireHumanApproval } from "../src/index.js";
import { type ApprovingHost, startApprovingHost } from "./helpers/approving-host.js";

/*
 * The standard (TC39) method decorator, compiled as TypeScript 5+ compiles decorators without
 * experimentalDecorators (sdk/tsconfig.test.json has none; esbuild, which runs this file, follows
 * it), against the real signing host with the test signing as the extension.
 */

let running: ApprovingHost | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const env: Record<string, string> = {};

class Deployer {
  readonly log: string[] = [];
  constructor(readonly cluster: string) {}

  @requireHumanApproval(
    function (this: Deployer, service: string, version: string) {
      return `Deploy ${service} ${version} to ${this.cluster}`;
    },
    { env },
  )
  async deploy(service: string, version: string): Promise<string> {
    this.log.push(`${service}@${version} on ${this.cluster} (${currentApproval()?.approver.sub})`);
    return `${service}@${version}`;
  }

  @requireHumanApproval((target: string) => `Roll back ${target}`, { env, name: "rollback" })
  static async rollback(target: string): Promise<string> {
    // biome-ignore lint/complexity/noThisInStatic: this test checks that `this` is the class
    return `${this.name}:${target}`;
  }
}

describe("@requireHumanApproval", () => {
  it("a decorated method asks with its describe text, then runs once with its own this", async () => {
    running = await startApprovingHost(() => "approve");
    Object.assign(env, running.env);
    const deployer = new Deployer("eu-1");
    await expect(deployer.deploy("api", "1.2.3")).resolves.toBe("api@1.2.3");
    expect(deployer.log).toEqual(["api@1.2.3 on eu-1 (alice)"]);
    const intent = { call: "deploy", arguments: ["api", "1.2.3"] };
    expect(running.shown).toHaveLength(1);
    expect(running.shown[0]?.action).toEqual({ summary: "Deploy api 1.2.3 to eu-1", details: intent });
    expect(running.shown[0]?.intent).toBe(intentDigest(intent));
  });

  it("a static method: this is the class; options.name fixes the call's name", async () => {
    running = await startApprovingHost(() => "approve");
    Object.assign(env, running.env);
    await expect(Deployer.rollback("api")).resolves.toBe("Deployer:api");
    expect(running.shown[0]?.action).toEqual({ summary: "Roll back api", details: { call: "rollback", arguments: ["api"] } });
  });

  it("Deny: ApprovalDenied, and the method body never ran", async () => {
    running = await startApprovingHost(() => "deny");
    Object.assign(env, running.env);
    const deployer = new Deployer("eu-1");
    await expect(deployer.deploy("api", "2.0.0")).rejects.toBeInstanceOf(ApprovalDenied);
    expect(deployer.log).toEqual([]);
  });

  it("the call's name is the method's name as written, whatever compiles or subclasses the class", async () => {
    running = await startApprovingHost(() => "approve");
    Object.assign(env, running.env);
    class CanaryDeployer extends Deployer {}
    // A decorated class expression: esbuild names it `_a` at run time; the name bound stays "ship".
    const Shipper = class Shipper {
      @requireHumanApproval((what: string) => `Ship ${what}`, { env })
      async ship(what: string): Promise<string> {
        return what;
      }
    };
    await new CanaryDeployer("us-2").deploy("web", "9");
    await new Shipper().ship("crate");
    expect(running.shown.map((challenge) => challenge.action.details)).toEqual([
      { call: "deploy", arguments: ["web", "9"] },
      { call: "ship", arguments: ["crate"] },
    ]);
  });

  it("used on something other than a method, or with bad options: ERR_USAGE when the class is defined", () => {
    const decorate = requireHumanApproval(() => "x") as unknown as (value: unknown, context: { kind: string; name: string }) => unknown;
    expect(() => decorate(undefined, { kind: "field", name: "f" })).toThrow(
      expect.objectContaining({
        code: "ERR_USAGE",
        message:
          "Cannot guard this function: @requireHumanApproval decorates methods only (standard decorators, not experimentalDecorators).",
      }),
    );
    expect(() => requireHumanApproval(() => "x", { timeoutSeconds: 0 })).toThrow(ApprovalUnavailable);
  });
});
