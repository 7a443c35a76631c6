import { HitlError, intentDigest, type JsonValue, LocalKeyDirectory, openNonceStore, resolvePaths, verifyReceipt } from "@hitl/verifier";
import { makeApprover } from "@hitl/verifier/testing";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../cli/test/helpers/peer-host.js";
import { isolatedDirs } from "../../cli/test/helpers/run-cli.js";
import {
  ApprovalDenied,
  ApprovalTimeout,
  ApprovalUnavailable,
  type CurrentApproval,
  currentApproval,
  ReceiptInvalid,
  withApproval,
} from "../src/index.js";
import { type ApprovingHost, startApprovingHost } from "./helpers/approving-host.js";

/*
 * withApproval on real functions, against the real signing host with the test signing as the
 * extension would (helpers/approving-host.ts). Nothing here is mocked: the receipts are real
 * Ed25519 signatures, verified by the real verifier, their nonces consumed in the real store.
 */

let running: ApprovingHost | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function host(decide: Parameters<typeof startApprovingHost>[0], options?: Parameters<typeof startApprovingHost>[1]) {
  running = await startApprovingHost(decide, options);
  return running;
}

describe("withApproval", () => {
  it("asks with describe(...args) and the arguments, runs fn once after a verified approval, binds {call, arguments}", async () => {
    const { env, shown } = await host(() => "approve");
    const ran: unknown[][] = [];
    async function deleteBranch(repo: string, branch: string): Promise<string> {
      ran.push([repo, branch]);
      return `deleted ${branch}`;
    }
    const guarded = withApproval(deleteBranch, (repo, branch) => `Delete branch ${branch} of ${repo}`, { env });
    await expect(guarded("hitl", "old-feature")).resolves.toBe("deleted old-feature");
    expect(ran).toEqual([["hitl", "old-feature"]]);
    expect(shown).toHaveLength(1);
    const intent = { call: "deleteBranch", arguments: ["hitl", "old-feature"] };
    expect(shown[0]?.action).toEqual({ summary: "Delete branch old-feature of hitl", details: intent });
    expect(shown[0]?.intent).toBe(intentDigest(intent));
    expect(shown[0]?.requester.tool).toBe("hitl-sdk");
  });

  it("a caller that mutates its argument after asking cannot change what runs: fn gets the approved snapshot", async () => {
    const order = { target: "staging", replicas: [1, 2] };
    const { env, shown } = await host(() => {
      // While the human reads the window, the caller changes its object.
      order.target = "production";
      order.replicas.push(99);
      return "approve";
    });
    let received: unknown;
    const deploy = withApproval(
      async (o: typeof order) => {
        received = o;
      },
      (o) => `Deploy to ${o.target}`,
      { env, name: "deploy" },
    );
    await deploy(order);
    expect(order).toEqual({ target: "production", replicas: [1, 2, 99] });
    expect(received).toEqual({ target: "staging", replicas: [1, 2] });
    expect(received).not.toBe(order);
    expect(shown[0]?.action.summary).toBe("Deploy to staging");
    expect(shown[0]?.intent).toBe(intentDigest({ call: "deploy", arguments: [{ target: "staging", replicas: [1, 2] }] }));
  });

  it("a function that throws: the error reaches the caller, and its receipt was consumed once (a replay is refused)", async () => {
    const { env } = await host(() => "approve");
    let seen: CurrentApproval | undefined;
    const explode = withApproval(
      async (path: string) => {
        seen = currentApproval();
        throw new Error(`disk full while deleting ${path}`);
      },
      (path) => `Delete ${path}`,
      { env, name: "explode" },
    );
    await expect(explode("/tmp/x")).rejects.toThrow("disk full while deleting /tmp/x");
    expect(seen).toBeDefined();
    const approval = seen!;
    expect(approval.intent).toEqual({ call: "explode", arguments: ["/tmp/x"] });
    expect(approval.approver.sub).toBe("alice");
    const keys = await LocalKeyDirectory.open(resolvePaths(env).approversFile);
    const nonces = await openNonceStore({ dir: resolvePaths(env).nonceDir });
    try {
      const expected = { aud: approval.challenge.aud, challenge: approval.challenge, intent: intentDigest(approval.intent) };
      await expect(verifyReceipt(approval.receipt, expected, { keys, nonces })).rejects.toMatchObject({
        code: "ERR_REPLAYED",
        message: "This approval was already used (its nonce is consumed). Request a new approval for every action.",
      });
    } finally {
      await nonces.close();
    }
  });

  it("concurrent calls each get their own window and challenge, and each runs with its own arguments", async () => {
    const { env, shown } = await host(() => "approve");
    const ran: string[] = [];
    const remove = withApproval(
      async (path: string) => {
        const bound = currentApproval()?.intent as { arguments: JsonValue[] } | undefined;
        ran.push(`${path}:${String(bound?.arguments[0])}`);
        return path;
      },
      (path) => `Delete ${path}`,
      { env, name: "remove" },
    );
    const results = await Promise.all([remove("/a"), remove("/b"), remove("/c")]);
    expect(results).toEqual(["/a", "/b", "/c"]);
    expect(ran.sort()).toEqual(["/a:/a", "/b:/b", "/c:/c"]);
    expect(shown).toHaveLength(3);
    expect(new Set(shown.map((c) => c.nonce)).size).toBe(3);
    expect(shown.map((c) => c.action.summary).sort()).toEqual(["Delete /a", "Delete /b", "Delete /c"]);
  });

  it("a method's this is passed to fn and describe, and is not part of the approval", async () => {
    const { env, shown } = await host(() => "approve");
    class Account {
      balance = 100;
      readonly transfer = withApproval(
        async function (this: Account, amount: number) {
          this.balance -= amount;
          return this.balance;
        },
        function (this: Account, amount) {
          return `Transfer ${amount} (balance ${this.balance})`;
        },
        { env, name: "Account.transfer" },
      );
    }
    const account = new Account();
    await expect(account.transfer(30)).resolves.toBe(70);
    expect(account.balance).toBe(70);
    expect(shown[0]?.action).toEqual({ summary: "Transfer 30 (balance 100)", details: { call: "Account.transfer", arguments: [30] } });
  });

  it("currentApproval() is undefined outside a guarded function", () => {
    expect(currentApproval()).toBeUndefined();
  });

  it("an object member that is undefined is dropped: fn gets the object without the key, as JSON does", async () => {
    const { env, shown } = await host(() => "approve");
    let received: Record<string, unknown> | undefined;
    const run = withApproval(
      async (o: { a: number; b?: number | undefined }) => {
        received = o;
      },
      () => "run",
      { env, name: "run" },
    );
    await run({ a: 1, b: undefined });
    expect(received).toEqual({ a: 1 });
    expect(Object.hasOwn(received!, "b")).toBe(false);
    expect(shown[0]?.action.details).toEqual({ call: "run", arguments: [{ a: 1 }] });
  });

  it("a value with toJSON arrives as its JSON form (a Date as its ISO string)", async () => {
    const { env } = await host(() => "approve");
    let received: unknown;
    const at = withApproval(
      async (when: Date | string) => {
        received = when;
      },
      () => "schedule",
      { env, name: "schedule" },
    );
    await at(new Date("2026-01-02T03:04:05.000Z"));
    expect(received).toBe("2026-01-02T03:04:05.000Z");
  });
});

describe("typed errors, each from a real failure; fn never runs", () => {
  /** What withApproval throws for a function that must not run, having checked that it did not. */
  async function refusal(options: Parameters<typeof withApproval>[2], action = () => "x"): Promise<unknown> {
    let ran = false;
    const guarded = withApproval(
      async () => {
        ran = true;
      },
      action,
      options,
    );
    const error = await guarded().catch((e: unknown) => e);
    expect(ran).toBe(false);
    return error;
  }

  it("ApprovalDenied: a denial signed by alice and verified, with the receipt and approver", async () => {
    const { env } = await host(() => "deny");
    const error = await refusal({ env, name: "drop" }, () => "drop the database");
    expect(error).toBeInstanceOf(ApprovalDenied);
    expect(error).toMatchObject({ name: "ApprovalDenied", code: "ERR_DENIED", approver: { sub: "alice" } });
    expect((error as ApprovalDenied).message).toMatch(/denied/i);
    expect((error as ApprovalDenied).receipt?.statement.decision).toBe("deny");
  });

  it("ApprovalDenied (ERR_WITHDRAWN): the caller's signal withdraws the request, nothing signed", async () => {
    const stop = new AbortController();
    const { env } = await host(() => {
      stop.abort();
      return "hang";
    });
    const error = await refusal({ env, name: "x", signal: stop.signal });
    expect(error).toBeInstanceOf(ApprovalDenied);
    expect(error).toMatchObject({ code: "ERR_WITHDRAWN", receipt: undefined });
  });

  it("ApprovalTimeout: nobody decides before the challenge expires", async () => {
    const { env } = await host(() => "hang");
    const error = await refusal({ env, name: "x", timeoutSeconds: 2 });
    expect(error).toBeInstanceOf(ApprovalTimeout);
    expect(error).toMatchObject({ name: "ApprovalTimeout", code: "ERR_TIMEOUT" });
    expect((error as Error).message).toMatch(/no decision|expired|timed out/i);
  });

  it("ApprovalUnavailable: no signing host on the port", async () => {
    const dirs = await isolatedDirs();
    try {
      const env = { ...dirs.env, HITL_PORT: String(await freePort()) };
      const error = await refusal({ env, name: "x" });
      expect(error).toBeInstanceOf(ApprovalUnavailable);
      expect(error).toMatchObject({ name: "ApprovalUnavailable", code: "ERR_HOST_UNREACHABLE" });
      expect((error as Error).message).toMatch(/hitl doctor|signing host/i);
    } finally {
      await dirs.cleanup();
    }
  });

  it("ApprovalUnavailable: nobody paired", async () => {
    const { env, shown } = await host(() => "approve", { paired: false });
    const guarded = withApproval(
      async () => 1,
      () => "x",
      { env, name: "x" },
    );
    const error = await guarded().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApprovalUnavailable);
    expect(error).toMatchObject({ code: "ERR_NOT_PAIRED", message: expect.stringMatching(/hitl pair/) });
    expect(shown).toHaveLength(0);
  });

  it("ReceiptInvalid: an approval signed by a key nobody paired", async () => {
    const mallory = makeApprover("alice");
    const { env } = await host(() => ({ signer: mallory, decision: "approve" }));
    const error = await refusal({ env, name: "x" });
    expect(error).toBeInstanceOf(ReceiptInvalid);
    expect(error).toMatchObject({ name: "ReceiptInvalid", code: "ERR_UNKNOWN_KEY" });
    expect(error).toBeInstanceOf(HitlError);
  });
});
