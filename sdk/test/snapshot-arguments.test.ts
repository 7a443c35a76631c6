import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalUnavailable, withApproval } from "../src/index.js";
import { type ApprovingHost, startApprovingHost } from "./helpers/approving-host.js";

/*
 * Arguments JSON cannot represent faithfully are refused with ERR_USAGE naming the argument's
 * path, before anyone is asked: the real host, answering "approve" to anything, is shown nothing.
 */

let running: ApprovingHost;
beforeAll(async () => {
  running = await startApprovingHost(() => "approve");
});
afterAll(async () => {
  await running.stop();
});

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

function cyclic(): unknown {
  const node: { name: string; self?: unknown } = { name: "a" };
  node.self = { back: node };
  return node;
}

function sparse(): unknown[] {
  const array = [1];
  array[2] = 3;
  return array;
}

function withExtraProperty(): unknown[] {
  const array: unknown[] & { label?: string } = [1, 2];
  array.label = "x";
  return array;
}

function throwingGetter(): unknown {
  return {
    ok: 1,
    get secret(): string {
      throw new Error("locked");
    },
  };
}

function nested(levels: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

const cases: [string, unknown[], string][] = [
  ["a function", [() => 1], "arguments[0] is a function, which JSON cannot represent"],
  ["a function inside an object", [{ cb: () => 1 }], "arguments[0].cb is a function"],
  ["a cycle", [cyclic()], "arguments[0].self.back refers back to an object that contains it (a cycle)"],
  ["a BigInt", [{ n: 10n }], "arguments[0].n is a BigInt, which JSON cannot represent; pass it as a string"],
  ["undefined inside an array", [[1, undefined, 3]], "arguments[0][1] is undefined, which JSON cannot represent here"],
  ["undefined as an argument", ["a", undefined], "arguments[1] is undefined, which JSON cannot represent here"],
  ["a symbol", [{ s: Symbol("x") }], "arguments[0].s is a symbol, which JSON cannot represent"],
  ["a symbol-keyed property", [{ [Symbol("k")]: 1 }], "arguments[0] has symbol-keyed properties (Symbol(k)), which JSON drops"],
  ["a class instance without toJSON", [{ at: new Point(1, 2) }], "arguments[0].at is an instance of Point without toJSON"],
  ["a Map", [new Map([["a", 1]])], "arguments[0] is an instance of Map without toJSON"],
  ["NaN", [{ ratio: Number.NaN }], "arguments[0].ratio is NaN, which JSON turns into null"],
  ["Infinity", [[Number.POSITIVE_INFINITY]], "arguments[0][0] is Infinity, which JSON turns into null"],
  ["-Infinity", [Number.NEGATIVE_INFINITY], "arguments[0] is -Infinity, which JSON turns into null"],
  ["-0", [-0], "arguments[0] is -0, which JSON turns into 0"],
  ["a sparse array", [sparse()], "arguments[0][1] is a hole in a sparse array, which JSON turns into null"],
  ["an array with extra properties", [withExtraProperty()], "arguments[0] is an array with extra properties, which JSON drops"],
  ["a getter that throws", [throwingGetter()], "arguments[0].secret threw when read (Error: locked)"],
  [
    "a toJSON that throws",
    [
      {
        toJSON: () => {
          throw new Error("nope");
        },
      },
    ],
    "arguments[0] has a toJSON method that threw (Error: nope)",
  ],
  ["a lone surrogate", [{ "na\ud800me": 1 }], 'arguments[0]["na\\ud800me"] has a name with a lone UTF-16 surrogate'],
  ["a lone surrogate in a value", ["x\udc00"], "arguments[0] is a string with a lone UTF-16 surrogate"],
  [
    "nesting deeper than the window shows",
    [nested(20)],
    `arguments[0]${"[0]".repeat(16)} nests deeper than 16 levels, more than the approval window shows`,
  ],
  ["a revoked proxy", [revoked()], "arguments[0] could not be read (TypeError: Cannot perform"],
];

describe("non-JSON arguments: ERR_USAGE naming the path, nobody asked, fn not run", () => {
  it.each(cases)("%s", async (_label, args, problem) => {
    let ran = false;
    const guarded = withApproval(
      async (..._args: unknown[]) => {
        ran = true;
      },
      (..._args: unknown[]) => "look at this",
      { env: running.env, name: "look" },
    );
    const error = await guarded(...args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApprovalUnavailable);
    expect(error).toMatchObject({ code: "ERR_USAGE" });
    expect((error as Error).message).toContain(`Cannot ask for approval: ${problem}`);
    expect((error as Error).message).toMatch(/Nobody was asked and nothing ran\.$/);
    expect(ran).toBe(false);
    expect(running.shown).toHaveLength(0);
  });

  it("describe returning something other than a string, or throwing: ERR_USAGE, nobody asked", async () => {
    const notText = withApproval(async () => 1, (() => 42) as unknown as () => string, { env: running.env, name: "n" });
    await expect(notText()).rejects.toMatchObject({
      code: "ERR_USAGE",
      message:
        "Cannot ask for approval: describe(...) must return the action text as a string, got number. Nobody was asked and nothing ran.",
    });
    const throwing = withApproval(
      async () => 1,
      () => {
        throw new Error("no text");
      },
      { env: running.env, name: "t" },
    );
    await expect(throwing()).rejects.toMatchObject({
      code: "ERR_USAGE",
      message: "Cannot ask for approval: describe(...) threw (no text). Nobody was asked and nothing ran.",
    });
    expect(running.shown).toHaveLength(0);
  });

  it("arguments too large for the window, or an invisible summary: ERR_USAGE before anything is sent", async () => {
    const big = withApproval(
      async (_s: string) => 1,
      () => "upload",
      { env: running.env, name: "upload" },
    );
    await expect(big("x".repeat(40_000))).rejects.toMatchObject({
      code: "ERR_USAGE",
      message: expect.stringMatching(/^Cannot ask for approval: the approval window could not show this call \(ERR_TOO_LARGE: /),
    });
    const blank = withApproval(
      async () => 1,
      () => "   ",
      { env: running.env, name: "blank" },
    );
    await expect(blank()).rejects.toMatchObject({
      code: "ERR_USAGE",
      message: expect.stringMatching(/^Cannot ask for approval: the approval window could not show this call \(ERR_MALFORMED: /),
    });
    expect(running.shown).toHaveLength(0);
  });
});

describe("options are checked when the guard is made", () => {
  const fn = async () => 1;
  it.each([
    [
      { timeout: 30 },
      'Cannot guard this function: unknown option "timeout" (known: name, aud, timeoutSeconds, port, keys, nonces, signal, requester, env).',
    ],
    [{ timeoutSeconds: 0 }, "Cannot guard this function: options.timeoutSeconds must be a whole number of seconds from 1 to 3600."],
    [{ timeoutSeconds: 1.5 }, "Cannot guard this function: options.timeoutSeconds must be a whole number of seconds from 1 to 3600."],
    [{ aud: "" }, "Cannot guard this function: options.aud must be a non-empty string of at most 256 bytes."],
    [{ port: 70000 }, "Cannot guard this function: options.port must be a port number from 1 to 65535."],
    [{ name: " " }, "Cannot guard this function: options.name must be a string with a visible character, at most 256 bytes."],
    [{ keys: {} }, "Cannot guard this function: options.keys must be a KeyDirectory (with lookup)."],
  ])("%j", (options, message) => {
    expect(() => withApproval(fn, () => "x", options as never)).toThrow(expect.objectContaining({ code: "ERR_USAGE", message }));
  });

  it("an anonymous function needs a name; describe must be a function", () => {
    expect(() =>
      withApproval(
        async () => 1,
        () => "x",
      ),
    ).toThrow(
      expect.objectContaining({ code: "ERR_USAGE", message: "Cannot guard this function: an anonymous function needs options.name." }),
    );
    expect(() => withApproval(async function named() {}, "x" as never)).toThrow(
      expect.objectContaining({
        code: "ERR_USAGE",
        message: "Cannot guard this function: withApproval(fn, describe) needs describe, a function returning the action text.",
      }),
    );
  });
});

function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}
