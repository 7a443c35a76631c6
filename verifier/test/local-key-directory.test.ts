import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addApprover, listApprovers, removeApprovers } from "../src/keys/approvers-store.js";
import { LocalKeyDirectory } from "../src/keys/local-key-directory.js";
import { encodeBase64url } from "../src/protocol/base64url.js";
import type { ApproverRecord } from "../src/protocol/types.js";
import { makeApprover, type TestApprover } from "../src/testing/index.js";
import { tempDir } from "./helpers/temp-dir.js";

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.remove());

const alice = makeApprover("alice");
const bob = makeApprover("bob");
const record = (a: TestApprover, extra: Partial<ApproverRecord> = {}): ApproverRecord => ({
  sub: a.sub,
  kid: a.kid,
  publicKey: encodeBase64url(a.publicKey),
  pairedAt: 1_767_000_000,
  ...extra,
});
const identityKey = encodeBase64url(Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)));

function writeFile(name: string, content: unknown, mode = 0o600): string {
  const path = join(dir.path, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content), { mode });
  chmodSync(path, mode);
  return path;
}

describe("LocalKeyDirectory.open", () => {
  it("loads approvers and looks them up by subject and key id", async () => {
    const path = writeFile("approvers.json", { v: 1, approvers: [record(alice, { label: "laptop" }), record(bob)] });
    const keys = await LocalKeyDirectory.open(path);
    expect(await keys.lookup("alice", alice.kid)).toEqual({ sub: "alice", kid: alice.kid, publicKey: alice.publicKey, label: "laptop" });
    expect(await keys.lookup("alice", bob.kid)).toBeUndefined();
    expect(keys.approvers.map((a) => a.sub)).toEqual(["alice", "bob"]);
  });

  it("an absent file is an empty directory that says to run `hitl pair`", async () => {
    const path = join(dir.path, "nope", "approvers.json");
    const keys = await LocalKeyDirectory.open(path);
    expect(await keys.lookup("alice", alice.kid)).toBeUndefined();
    expect(await keys.explainMissing("alice", alice.kid)).toMatchObject({
      code: "ERR_UNKNOWN_APPROVER",
      message: `No approver is paired yet (the approvers file ${path} has none). Run \`hitl pair\` to pair your browser.`,
    });
  });

  it("refuses a world-writable file", async () => {
    const path = writeFile("approvers.json", { v: 1, approvers: [record(alice)] }, 0o666);
    await expect(LocalKeyDirectory.open(path)).rejects.toMatchObject({
      code: "ERR_APPROVERS_FILE_INSECURE",
      message: `The approvers file ${path} is world-writable, so anyone on this machine could add an approver; it is refused. Run \`chmod 600 ${path}\` and check its contents.`,
    });
  });

  it("refuses a file in a world-writable directory without the sticky bit, accepts it with the sticky bit", async () => {
    const open = join(dir.path, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    const path = join(open, "approvers.json");
    writeFileSync(path, JSON.stringify({ v: 1, approvers: [record(alice)] }), { mode: 0o600 });
    await expect(LocalKeyDirectory.open(path)).rejects.toMatchObject({
      code: "ERR_APPROVERS_FILE_INSECURE",
      message: `The approvers file ${path} is in the world-writable directory ${open} (no sticky bit), so anyone could replace it; it is refused. Run \`chmod 700 ${open}\` or move the file (HITL_CONFIG_DIR).`,
    });
    chmodSync(open, 0o1777);
    await expect(LocalKeyDirectory.open(path)).resolves.toBeInstanceOf(LocalKeyDirectory);
  });

  it.each<[string, unknown, string]>([
    ["not JSON", "{", "it is not valid JSON."],
    [
      "a duplicate member name",
      '{"v":1,"v":1,"approvers":[]}',
      'it repeats the member name "v" in one object; duplicate names are ambiguous and refused.',
    ],
    ["an array", [], "file must be a JSON object."],
    ["version 2", { v: 2, approvers: [] }, "file.v is 2; this implementation speaks version 1 only. Upgrade hitl on both sides."],
    ["approvers not an array", { v: 1, approvers: {} }, "file.approvers must be an array."],
    [
      "an entry without kid",
      { v: 1, approvers: [{ sub: "a", publicKey: encodeBase64url(alice.publicKey), pairedAt: 1_767_000_000 }] },
      "file.approvers[0].kid is missing.",
    ],
    [
      "an unknown entry field",
      { v: 1, approvers: [{ ...record(alice), admin: true }] },
      "file.approvers[0].admin is not a known field (unknown fields are rejected, not ignored).",
    ],
    [
      "a kid that is not the key's thumbprint",
      { v: 1, approvers: [record(alice, { kid: bob.kid })] },
      "file.approvers[0].kid is not the thumbprint of file.approvers[0].publicKey.",
    ],
    [
      "the same approver twice",
      { v: 1, approvers: [record(alice), record(alice)] },
      `approver "alice" with key ${alice.kid} is listed twice.`,
    ],
  ])("refuses %s (ERR_APPROVERS_FILE_INVALID)", async (_name, content, reason) => {
    const path = writeFile("approvers.json", content);
    await expect(LocalKeyDirectory.open(path)).rejects.toMatchObject({
      code: "ERR_APPROVERS_FILE_INVALID",
      message: `The approvers file ${path} is invalid: ${reason} Fix or remove it, then run \`hitl pair\`.`,
    });
  });

  it("refuses a symbolic link and a directory", async () => {
    const target = writeFile("real.json", { v: 1, approvers: [] });
    const link = join(dir.path, "link.json");
    symlinkSync(target, link);
    await expect(LocalKeyDirectory.open(link)).rejects.toMatchObject({
      code: "ERR_APPROVERS_FILE_INVALID",
      message: `The approvers file ${link} is invalid: it is a symbolic link; hitl reads only a regular file it can check. Fix or remove it, then run \`hitl pair\`.`,
    });
    await expect(LocalKeyDirectory.open(dir.path)).rejects.toMatchObject({
      code: "ERR_APPROVERS_FILE_INVALID",
      message: expect.stringContaining("it is not a regular file."),
    });
  });

  it("refuses a weak key at load", async () => {
    const { keyIdFromPublicKey } = await import("../src/digests.js");
    const weak = {
      sub: "eve",
      kid: keyIdFromPublicKey(Buffer.from(identityKey, "base64url")),
      publicKey: identityKey,
      pairedAt: 1_767_000_000,
    };
    const path = writeFile("approvers.json", { v: 1, approvers: [record(alice), weak] });
    await expect(LocalKeyDirectory.open(path)).rejects.toMatchObject({
      code: "ERR_WEAK_PUBLIC_KEY",
      message: `The approvers file ${path} is refused: file.approvers[1].publicKey (approver "eve") is a small-order Ed25519 key that would accept forged signatures; remove that entry and pair again with \`hitl pair\`.`,
    });
  });

  it("says ERR_UNKNOWN_APPROVER for an unknown subject and ERR_UNKNOWN_KEY for a known subject's unknown key", async () => {
    const path = writeFile("approvers.json", { v: 1, approvers: [record(alice)] });
    const keys = await LocalKeyDirectory.open(path);
    expect(await keys.explainMissing("carol", alice.kid)).toMatchObject({
      code: "ERR_UNKNOWN_APPROVER",
      message: `Approver "carol" is not registered in the approvers file ${path}. Run \`hitl pair\` to pair that browser, or use the approvers file that lists it (HITL_CONFIG_DIR for hitl request, --approvers FILE for hitl verify).`,
    });
    expect(await keys.explainMissing("alice", bob.kid)).toMatchObject({
      code: "ERR_UNKNOWN_KEY",
      message: expect.stringMatching(/^Approver "alice" has no key [0-9a-f ]{19} in the approvers file/),
    });
  });
});

describe("LocalKeyDirectory.fromPublicKey", () => {
  it("without a subject: the key for whatever subject the receipt names", async () => {
    const keys = LocalKeyDirectory.fromPublicKey(undefined, alice.publicKey);
    expect(await keys.lookup("anyone", alice.kid)).toEqual({ sub: "anyone", kid: alice.kid, publicKey: alice.publicKey });
    expect(await keys.lookup("anyone", bob.kid)).toBeUndefined();
    expect(await keys.explainMissing("bob", bob.kid)).toMatchObject({
      code: "ERR_UNKNOWN_KEY",
      message: expect.stringMatching(
        /^The receipt is signed by key [0-9a-f ]{19} \(approver "bob"\), not by the given public key\. Check that you passed that approver's key\.$/,
      ),
    });
  });

  it("with a subject: only that subject", async () => {
    const keys = LocalKeyDirectory.fromPublicKey("alice", alice.publicKey);
    expect(await keys.lookup("alice", alice.kid)).toMatchObject({ sub: "alice" });
    expect(await keys.lookup("bob", alice.kid)).toBeUndefined();
    expect(await keys.explainMissing("bob", alice.kid)).toMatchObject({
      code: "ERR_UNKNOWN_APPROVER",
      message: 'The receipt names approver "bob", not "alice" as given. Check the subject you passed.',
    });
  });

  it("refuses a weak key", () => {
    expect(() => LocalKeyDirectory.fromPublicKey(undefined, Buffer.from(identityKey, "base64url"))).toThrow(
      expect.objectContaining({
        code: "ERR_WEAK_PUBLIC_KEY",
        message: expect.stringMatching(/^The given public key is a small-order point/),
      }),
    );
  });
});

describe("addApprover", () => {
  it("creates the file 0600 in a directory created 0700, then adds and replaces entries atomically", async () => {
    const configDir = join(dir.path, "config", "hitl");
    const path = join(configDir, "approvers.json");
    await addApprover(path, record(alice));
    expect(statSync(configDir).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await addApprover(path, record(bob));
    await addApprover(path, record(alice, { label: "new laptop", pairedAt: 1_767_100_000 }));
    const file = JSON.parse(readFileSync(path, "utf8"));
    expect(file).toEqual({ v: 1, approvers: [record(bob), record(alice, { label: "new laptop", pairedAt: 1_767_100_000 })] });
    expect(readdirSync(configDir)).toEqual(["approvers.json"]); // no temporary file left
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const keys = await LocalKeyDirectory.open(path);
    expect(await keys.lookup("alice", alice.kid)).toMatchObject({ label: "new laptop" });
  });

  it("a key is one approver's: the same key under another name replaces its entry; removeApprovers by name or kid", async () => {
    const path = join(dir.path, "approvers.json");
    await addApprover(path, record(alice));
    await addApprover(path, record(bob));
    await addApprover(path, { ...record(alice), sub: "alice.smith" });
    expect((await listApprovers(path)).map(({ sub, kid }) => ({ sub, kid }))).toEqual([
      { sub: "bob", kid: bob.kid },
      { sub: "alice.smith", kid: alice.kid },
    ]);
    expect(await removeApprovers(path, "nobody")).toEqual([]);
    expect(await removeApprovers(path, alice.kid)).toEqual([{ ...record(alice), sub: "alice.smith" }]);
    expect(await removeApprovers(path, "bob")).toEqual([record(bob)]);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ v: 1, approvers: [] });
    expect(await listApprovers(join(dir.path, "missing.json"))).toEqual([]);
  });

  it("refuses an invalid record, a weak key, and an insecure existing file", async () => {
    const path = join(dir.path, "approvers.json");
    await expect(addApprover(path, record(alice, { kid: bob.kid }))).rejects.toMatchObject({
      code: "ERR_KEY_ID_MISMATCH",
      message: "approver.kid is not the thumbprint of approver.publicKey.",
    });
    const { keyIdFromPublicKey } = await import("../src/digests.js");
    await expect(
      addApprover(path, {
        sub: "eve",
        kid: keyIdFromPublicKey(Buffer.from(identityKey, "base64url")),
        publicKey: identityKey,
        pairedAt: 1_767_000_000,
      }),
    ).rejects.toMatchObject({ code: "ERR_WEAK_PUBLIC_KEY" });
    await expect(addApprover(path, { ...record(alice), sub: "" })).rejects.toMatchObject({
      code: "ERR_MALFORMED",
      message: "approver.sub must not be empty.",
    });
    writeFile("approvers.json", { v: 1, approvers: [] }, 0o646);
    await expect(addApprover(path, record(alice))).rejects.toMatchObject({ code: "ERR_APPROVERS_FILE_INSECURE" });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ v: 1, approvers: [] });
  });

  it("says what to do when the directory cannot be created", async () => {
    const blocker = writeFile("blocker", "x");
    const path = join(blocker, "hitl", "approvers.json");
    await expect(addApprover(path, record(alice))).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: expect.stringMatching(
        new RegExp(
          `^Cannot write the approvers file ${path} \\((ENOTDIR|EEXIST)\\)\\. Check the permissions of its directory, or set HITL_CONFIG_DIR\\.$`,
        ),
      ),
    });
  });
});
