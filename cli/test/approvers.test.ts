import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { addApprover } from "@hitl/verifier";
import { makeApprover } from "@hitl/verifier/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isolatedDirs, runCli } from "./helpers/run-cli.js";

let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
const approversFile = () => `${dirs.env.HITL_CONFIG_DIR}/approvers.json`;

beforeEach(async () => {
  dirs = await isolatedDirs();
});

afterEach(async () => {
  await dirs.cleanup();
});

describe("hitl approvers", () => {
  it("list: nobody paired, then one line per key; --json gives the same fields as hitl request --json", async () => {
    const empty = await runCli(["approvers", "list"], dirs.env);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe(`Nobody is paired (${approversFile()} has no approvers). Run 'hitl pair' to add yourself.\n`);

    const alice = makeApprover("alice");
    const laptop = makeApprover("alice");
    await addApprover(approversFile(), alice.record);
    await addApprover(approversFile(), laptop.record);
    const run = await runCli(["approvers", "list"], dirs.env);
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe(`${approversFile()}:`);
    expect(lines[1]).toMatch(
      new RegExp(`^alice \\(key [0-9a-f ]{19}\\)  kid ${alice.kid}  paired \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC$`),
    );
    expect(lines[2]).toContain(`kid ${laptop.kid}`);

    const json = await runCli(["approvers", "list", "--json"], dirs.env);
    expect(JSON.parse(json.stdout)).toEqual({
      approversFile: approversFile(),
      approvers: [alice, laptop].map((a) => ({
        sub: "alice",
        kid: a.kid,
        fingerprint: expect.stringMatching(/^[0-9a-f ]{19}$/),
        publicKey: a.publicKeyText,
        pairedAt: a.record.pairedAt,
      })),
    });
  });

  it("remove KID removes that key only; remove NAME every key of that name; the file stays 0600", async () => {
    const alice = makeApprover("alice");
    const laptop = makeApprover("alice");
    const bob = makeApprover("bob");
    for (const a of [alice, laptop, bob]) await addApprover(approversFile(), a.record);

    const byKid = await runCli(["approvers", "remove", laptop.kid], dirs.env);
    expect(byKid.code).toBe(0);
    expect(byKid.stdout).toMatch(/^REMOVED — alice \(key [0-9a-f ]{19}\)\n$/);
    const byName = await runCli(["approvers", "remove", "alice", "--json"], dirs.env);
    expect(byName.code).toBe(0);
    expect((JSON.parse(byName.stdout) as { removed: { kid: string }[] }).removed.map((a) => a.kid)).toEqual([alice.kid]);

    const stored = JSON.parse(await readFile(approversFile(), "utf8")) as { v: number; approvers: { kid: string }[] };
    expect(stored).toEqual({ v: 1, approvers: [bob.record] });
    expect((await stat(approversFile())).mode & 0o777).toBe(0o600);
  });

  it("remove of nobody: exit 3 ERR_UNKNOWN_APPROVER and the file untouched; usage errors name the form", async () => {
    const bob = makeApprover("bob");
    await addApprover(approversFile(), bob.record);
    const before = await readFile(approversFile(), "utf8");
    const none = await runCli(["approvers", "remove", "carol"], dirs.env);
    expect(none.code).toBe(3);
    expect(none.stderr).toBe(
      `hitl: ERR_UNKNOWN_APPROVER: No approver has the name or key id "carol" in ${approversFile()}; nothing was changed. Run 'hitl approvers list' to see them.\n`,
    );
    expect(await readFile(approversFile(), "utf8")).toBe(before);

    const bare = await runCli(["approvers", "remove", "--json"], dirs.env);
    expect(bare.code).toBe(3);
    expect(JSON.parse(bare.stdout)).toEqual({
      code: "ERR_USAGE",
      message:
        "'hitl approvers remove' takes one approver name or key id (see 'hitl approvers list'). Run 'hitl approvers --help' for the options.",
    });
    const unknown = await runCli(["approvers", "delete", "bob"], dirs.env);
    expect(unknown.stderr).toBe(
      "hitl: ERR_USAGE: Unknown approvers command 'delete'; use list or remove. Run 'hitl approvers --help' for the options.\n",
    );
  });

  it("an insecure or invalid approvers file is refused by the same strict reader, never rewritten", async () => {
    const bob = makeApprover("bob");
    await addApprover(approversFile(), bob.record);
    await chmod(approversFile(), 0o666);
    const insecure = await runCli(["approvers", "remove", "bob"], dirs.env);
    expect(insecure.code).toBe(3);
    expect(insecure.stderr).toMatch(/^hitl: ERR_APPROVERS_FILE_INSECURE: The approvers file .* is world-writable/);
    await chmod(approversFile(), 0o600);
    await writeFile(approversFile(), '{"v":1,"approvers":[],"extra":1}');
    const invalid = await runCli(["approvers", "list"], dirs.env);
    expect(invalid.code).toBe(3);
    expect(invalid.stderr).toMatch(/^hitl: ERR_APPROVERS_FILE_INVALID: The approvers file .* is invalid: /);
    expect(await readFile(approversFile(), "utf8")).toBe('{"v":1,"approvers":[],"extra":1}');
  });
});
