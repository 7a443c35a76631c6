import { createHash, createHmac, randomBytes } from "node:crypto";
import { chmod, chown, mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHostSecret, HOST_AUTH, type HostAnswerFields, proveHostAnswer, readHostSecret, verifyHostAnswer } from "../src/index.js";
import { tempDir } from "./helpers/temp-dir.js";

/* docs/protocol.md section 6.1: the host secret file and the proof on every host answer. */

const secret = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
const fields: HostAnswerFields = {
  nonce: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
  method: "POST",
  path: "/sign",
  status: 200,
  body: Buffer.from('{"receipt":{}}', "utf8"),
};
const VECTOR = "3U9MA287RPGEFcI3lkxo4BtIcp7N5sKNS0FtwyeEGIM";

describe("proveHostAnswer / verifyHostAnswer", () => {
  it("is HMAC-SHA256(secret, prefix || nonce NUL method NUL path NUL status NUL || SHA-256(body)), base64url", () => {
    const input = Buffer.concat([
      Buffer.from("hitl/host-proof/v1\u0000AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\u0000POST\u0000/sign\u0000200\u0000", "latin1"),
      createHash("sha256").update('{"receipt":{}}').digest(),
    ]);
    const expected = createHmac("sha256", secret).update(input).digest("base64url");
    expect(proveHostAnswer(secret, fields)).toBe(expected);
    // The vector printed in docs/protocol.md section 6.1.
    expect(expected).toBe(VECTOR);
    expect(verifyHostAnswer(secret, fields, expected)).toBe(true);
  });

  it.each<[string, Partial<HostAnswerFields>]>([
    ["one body byte", { body: Buffer.from('{"receipt":{ }', "utf8") }],
    ["an empty body", { body: Buffer.alloc(0) }],
    ["the status", { status: 503 }],
    ["the nonce", { nonce: randomBytes(32).toString("base64url") }],
    ["the path", { path: "/pair" }],
    ["the path's query", { path: "/sign?x" }],
    ["the method", { method: "GET" }],
  ])("refuses a proof when %s differs", (_what, change) => {
    const proof = proveHostAnswer(secret, fields);
    expect(verifyHostAnswer(secret, { ...fields, ...change }, proof)).toBe(false);
  });

  it("refuses a proof made with another secret, and any header that is not one well-formed proof", () => {
    const proof = proveHostAnswer(secret, fields)!;
    expect(verifyHostAnswer(secret, fields, proveHostAnswer(randomBytes(32), fields))).toBe(false);
    expect(verifyHostAnswer(secret, fields, undefined)).toBe(false);
    expect(verifyHostAnswer(secret, fields, "")).toBe(false);
    expect(verifyHostAnswer(secret, fields, [proof])).toBe(false);
    expect(verifyHostAnswer(secret, fields, `${proof}, ${proof}`)).toBe(false); // a repeated header, as node joins it
    expect(verifyHostAnswer(secret, fields, `${proof}=`)).toBe(false);
    expect(verifyHostAnswer(secret, fields, Buffer.from(proof, "base64url").toString("base64"))).toBe(false);
    // Same 32 bytes, but the unused low bits of the last character set: not the canonical encoding.
    const last = proof.at(-1)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sibling = `${proof.slice(0, -1)}${alphabet[alphabet.indexOf(last) ^ 1]}`;
    expect(Buffer.from(sibling, "base64url")).toEqual(Buffer.from(proof, "base64url"));
    expect(verifyHostAnswer(secret, fields, sibling)).toBe(false);
  });

  it("makes no proof for a request without a well-formed nonce (a proof over a value anyone could pick is replayable)", () => {
    for (const nonce of ["", "short", `${fields.nonce}A`, fields.nonce.replace("A", "+")]) {
      expect(proveHostAnswer(secret, { ...fields, nonce })).toBeUndefined();
      expect(verifyHostAnswer(secret, { ...fields, nonce }, proveHostAnswer(secret, fields))).toBe(false);
    }
  });

  it("refuses a secret that is not 32 bytes", () => {
    expect(() => proveHostAnswer(secret.subarray(1), fields)).toThrow(expect.objectContaining({ code: "ERR_INTERNAL" }));
    expect(() => verifyHostAnswer(Buffer.alloc(0), fields, "x")).toThrow(expect.objectContaining({ code: "ERR_INTERNAL" }));
  });
});

describe("createHostSecret / readHostSecret", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let config: string;
  let file: string;
  beforeEach(async () => {
    dir = await tempDir();
    config = join(dir.path, "config");
    file = join(config, "host-secret");
  });
  afterEach(() => dir.remove());

  it("creates 32 CSPRNG bytes as 43 base64url characters and a newline, file 0600 in a directory created 0700", async () => {
    expect(await createHostSecret(file)).toBe("created");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(config)).mode & 0o777).toBe(0o700);
    const text = await readFile(file, "latin1");
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(readHostSecret(file)).toEqual(Buffer.from(text.slice(0, 43), "base64url"));
    expect(readHostSecret(file)).toHaveLength(HOST_AUTH.secretBytes);
  });

  it("keeps a valid secret (a running host and the CLI keep agreeing); two users' secrets differ", async () => {
    await createHostSecret(file);
    const first = await readFile(file, "latin1");
    expect(await createHostSecret(file)).toBe("kept");
    expect(await readFile(file, "latin1")).toBe(first);
    const other = join(dir.path, "other", "host-secret");
    await createHostSecret(other);
    expect(await readFile(other, "latin1")).not.toBe(first);
  });

  it("missing: ERR_HOST_SECRET_MISSING, telling to run hitl setup", () => {
    expect(() => readHostSecret(file)).toThrow(
      expect.objectContaining({
        code: "ERR_HOST_SECRET_MISSING",
        message: `The hitl host secret ${file} does not exist, so the signing host cannot be told apart from another program on its port. Run \`hitl setup\` (it creates the secret), then restart the browser.`,
      }),
    );
  });

  it.each([0o640, 0o604, 0o620, 0o602, 0o660, 0o644, 0o666])(
    "refuses a file with mode %o (group or others may read or write it)",
    async (mode) => {
      await createHostSecret(file);
      await chmod(file, mode);
      const octal = mode.toString(8);
      expect(() => readHostSecret(file)).toThrow(
        expect.objectContaining({
          code: "ERR_HOST_SECRET_INSECURE",
          message: `The hitl host secret ${file} is readable or writable by group or others (mode ${octal}), so another user could read or replace it and pass for your signing host; it is refused. Run \`chmod 600 ${file}\`, then restart the browser.`,
        }),
      );
      // createHostSecret does not paper over it either.
      await expect(createHostSecret(file)).rejects.toMatchObject({ code: "ERR_HOST_SECRET_INSECURE" });
      expect((await stat(file)).mode & 0o777).toBe(mode);
    },
  );

  it.each([0o750, 0o705, 0o770, 0o777, 0o755])("refuses a directory with mode %o", async (mode) => {
    await createHostSecret(file);
    await chmod(config, mode);
    expect(() => readHostSecret(file)).toThrow(
      expect.objectContaining({
        code: "ERR_HOST_SECRET_INSECURE",
        message: `The hitl host secret ${file} is in ${config}, which is open to group or others (mode ${mode.toString(8)}), so another user could read or replace it and pass for your signing host; it is refused. Run \`chmod 700 ${config}\`.`,
      }),
    );
  });

  it("refuses a file or directory that belongs to another user", async () => {
    if (process.getuid?.() !== 0) throw new Error("changing owners needs root; this suite runs as root");
    await createHostSecret(file);
    await chown(file, 65534, 65534);
    expect(() => readHostSecret(file)).toThrow(
      expect.objectContaining({
        code: "ERR_HOST_SECRET_INSECURE",
        message: expect.stringContaining(`${file} belongs to uid 65534, not to you`),
      }),
    );
    await chown(file, 0, 0);
    await chown(config, 65534, 65534);
    expect(() => readHostSecret(file)).toThrow(
      expect.objectContaining({
        code: "ERR_HOST_SECRET_INSECURE",
        message: expect.stringContaining(`is in ${config}, which belongs to uid 65534, not to you`),
      }),
    );
  });

  it("refuses a symbolic link, even to a good secret", async () => {
    const real = join(dir.path, "real", "host-secret");
    await createHostSecret(real);
    await mkdir(config, { mode: 0o700 });
    await symlink(real, file);
    expect(() => readHostSecret(file)).toThrow(
      expect.objectContaining({ code: "ERR_HOST_SECRET_INSECURE", message: expect.stringContaining(`${file} is a symbolic link`) }),
    );
  });

  it.each([
    ["empty", ""],
    ["42 characters", "A".repeat(42)],
    ["44 characters", "A".repeat(44)],
    ["two newlines", `${"A".repeat(43)}\n\n`],
    ["CRLF", `${"A".repeat(43)}\r\n`],
    ["standard base64", `${"A".repeat(42)}+`],
    ["non-canonical last character", `${"A".repeat(42)}B`],
    ["a large file", "A".repeat(100_000)],
  ])("refuses content that is not exactly one secret: %s", async (_what, content) => {
    await mkdir(config, { mode: 0o700 });
    await writeFile(file, content, { mode: 0o600 });
    expect(() => readHostSecret(file)).toThrow(
      expect.objectContaining({
        code: "ERR_HOST_SECRET_INVALID",
        message: `The hitl host secret ${file} is not 43 base64url characters (32 bytes). Remove it, run \`hitl setup\` to create a new one, then restart the browser.`,
      }),
    );
    await expect(createHostSecret(file)).rejects.toMatchObject({ code: "ERR_HOST_SECRET_INVALID" });
    expect(await readFile(file, "latin1")).toBe(content);
  });

  it("refuses to create the secret in an existing directory open to others", async () => {
    await mkdir(config, { mode: 0o700 });
    await chmod(config, 0o755);
    await expect(createHostSecret(file)).rejects.toMatchObject({ code: "ERR_HOST_SECRET_INSECURE" });
    await expect(stat(file)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
