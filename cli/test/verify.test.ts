import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, isolatedDirs, runCli } from "./helpers/run-cli.js";

/*
 * `hitl verify` as users run it: the BUILT command (cli/dist/bin.cjs, after `pnpm exec tsc -b`)
 * against the committed test vectors (verifier/test/vectors/receipts.json).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Vector {
  name: string;
  approver: { sub: string; kid: string; publicKey: string };
  keyDirectory?: { sub: string; kid: string; publicKey: string }[];
  receipt?: Json;
  receiptJson?: string;
  receiptHex?: string;
  expectations: { aud: string; intent?: string };
  expect: { valid: boolean; code?: string; decision?: string };
}
interface VectorFile {
  verifyAt: number;
  approvers: { sub: string; kid: string; publicKey: string; pairedAt: number }[];
  vectors: Vector[];
}

const VECTOR_FILE = resolve(fileURLToPath(new URL("../../verifier/test/vectors/receipts.json", import.meta.url)));
const file = JSON.parse(readFileSync(VECTOR_FILE, "utf8")) as VectorFile;
const valid = file.vectors.filter((v) => v.expect.valid);
const invalid = file.vectors.filter((v) => !v.expect.valid);

let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
let counter = 0;

beforeAll(async () => {
  dirs = await isolatedDirs();
  mkdirSync(dirs.env.HITL_CONFIG_DIR!, { recursive: true, mode: 0o700 });
  writeFileSync(join(dirs.env.HITL_CONFIG_DIR!, "approvers.json"), JSON.stringify({ v: 1, approvers: file.approvers }), { mode: 0o600 });
});
afterAll(() => dirs.cleanup());

function receiptFile(content: string | Buffer): string {
  const path = join(dirs.root, `receipt-${counter++}.json`);
  writeFileSync(path, content);
  return path;
}
const verify = (args: string[], env: Record<string, string> = dirs.env) => runCli(["verify", ...args], env);

/** Runs `tasks` with at most `limit` CLI processes at a time (two cores, other tests running). */
async function pool<T>(tasks: (() => Promise<T>)[], limit = 4): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

type Path = (string | number)[];
function leaves(value: Json, path: Path = []): { path: Path; value: Json }[] {
  if (value === null || typeof value !== "object") return [{ path, value }];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([key, member]) => leaves(member, [...path, key]));
}
function setAt(document: Json, path: Path, replacement: Json): Json {
  const copy = JSON.parse(JSON.stringify(document)) as Record<string | number, Json>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, Json>;
  target[path[path.length - 1]!] = replacement;
  return copy;
}
/** One different value per leaf; strings keep their alphabet so base64url stays base64url. */
function changed(value: Json): Json {
  if (typeof value === "string") {
    if (value.length === 0) return "x";
    const last = value[value.length - 1]!;
    return value.slice(0, -1) + (/[A-Za-z0-9]/.test(last) ? (last === "A" ? "B" : "A") : last === "-" ? "_" : "-");
  }
  if (typeof value === "number") return value + 1 !== value ? value + 1 : value / 2; // 1e30 + 1 === 1e30
  if (typeof value === "boolean") return !value;
  return 0;
}

describe("hitl verify --help", () => {
  it("says that offline verification does not consume the nonce, and the defaults", async () => {
    const run = await verify(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("it does NOT consume the receipt's nonce");
    expect(run.stdout).toContain('--aud AUD            audience the receipt must be for (default "hitl-cli")');
    expect(run.stdout).toContain(`approvers file holding the keys (default: ${join(dirs.env.HITL_CONFIG_DIR!, "approvers.json")})`);
  });
});

describe("what hitl verify prints of the signed text", () => {
  it("control and separator characters are shown as the window's markers (not a TTY: no escape codes)", async () => {
    const vector = valid.find((v) => v.name === "control-characters")!;
    const run = await verify([receiptFile(JSON.stringify(vector.receipt))]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines.slice(1).join("\n")).toBe(
      "Action: line 1\n" +
        "  line 2⟨U+000D⟩\n" +
        "  \ttabbed ⟨U+0001⟩⟨U+001F⟩⟨U+007F⟩⟨U+0085⟩ ⟨U+2028 LINE SEPARATOR⟩⟨U+2029 PARAGRAPH SEPARATOR⟩ end\n" +
        'Details: {\n    "bell": "\\u0007",\n    "multi": "a\\nb"\n  }\n' +
        "Audience: hitl-cli — nonce not consumed (offline audit)\n",
    );
    expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
  });
});

describe.each(valid)("valid vector $name", (vector) => {
  it("is accepted: exit 0, VALID, and --json says valid", async () => {
    const path = receiptFile(JSON.stringify(vector.receipt));
    const intent = vector.expectations.intent !== undefined ? ["--intent", vector.expectations.intent] : [];
    const run = await verify([...intent, path]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^VALID — approved by ${vector.approver.sub} \\(key [0-9a-f ]{19}\\) at `));
    expect(run.stdout).toContain("nonce not consumed (offline audit)");
    const json = await verify([...intent, "--json", path]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      valid: true,
      decision: "approve",
      approver: { sub: vector.approver.sub, kid: vector.approver.kid },
    });
    const byKey = await verify([...intent, "--public-key", vector.approver.publicKey, path]);
    expect(byKey.code).toBe(0);
  });

  it("is rejected (non-zero, with an error code) after ANY single value is changed", async () => {
    const receipt = vector.receipt!;
    const all = leaves(receipt);
    const runs = await pool(
      all.map((leaf) => async () => {
        const mutated = setAt(receipt, leaf.path, changed(leaf.value));
        const intent = vector.expectations.intent !== undefined ? ["--intent", vector.expectations.intent] : [];
        const run = await verify([...intent, receiptFile(JSON.stringify(mutated))]);
        return { path: leaf.path.join("."), code: run.code, stderr: run.stderr };
      }),
    );
    expect(runs.length).toBeGreaterThanOrEqual(18);
    for (const run of runs) {
      expect(run.code, run.path).not.toBe(0);
      expect(run.code, run.path).toBe(3);
      expect(run.stderr, run.path).toMatch(/^hitl: ERR_[A-Z_]+: .+\n$/);
    }
  }, 120_000);
});

describe("invalid vectors (verified at the vectors' own time with --at)", () => {
  it.each(invalid)("$name -> $expect.code", async (vector) => {
    const content =
      vector.receiptHex !== undefined ? Buffer.from(vector.receiptHex, "hex") : (vector.receiptJson ?? JSON.stringify(vector.receipt));
    const path = receiptFile(content);
    const args = ["--at", String(file.verifyAt), "--json", path];
    // The weak-key vectors name their own key directory: the one key, given on the command line.
    if (vector.keyDirectory !== undefined) args.unshift("--public-key", vector.keyDirectory[0]!.publicKey);
    if (vector.expectations.intent !== undefined) args.unshift("--intent", vector.expectations.intent);
    const run = await verify(args);
    expect(run.code).toBe(vector.expect.decision === "deny" ? 1 : 3);
    expect(run.stderr).toMatch(new RegExp(`^hitl: ${vector.expect.code}: .+\\n$`));
    expect(JSON.parse(run.stdout)).toMatchObject({ valid: false, code: vector.expect.code, message: expect.any(String) });
  });

  it("a signed deny names its approver in --json and exits 1", async () => {
    const deny = file.vectors.find((v) => v.name === "deny")!;
    const run = await verify(["--json", receiptFile(JSON.stringify(deny.receipt))]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      valid: false,
      decision: "deny",
      code: "ERR_DENIED",
      message: 'alice denied this action ("drop database production"). Do not proceed.',
      approver: expect.objectContaining({ sub: "alice", kid: deny.approver.kid }),
    });
    expect(run.stderr).toBe('hitl: ERR_DENIED: alice denied this action ("drop database production"). Do not proceed.\n');
  });
});

describe("key sources, time and input handling", () => {
  const ascii = file.vectors.find((v) => v.name === "ascii")!;
  const bob = file.approvers.find((a) => a.sub === "bob")!;

  it("--public-key with another key: ERR_UNKNOWN_KEY", async () => {
    const run = await verify(["--public-key", bob.publicKey, receiptFile(JSON.stringify(ascii.receipt))]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^hitl: ERR_UNKNOWN_KEY: The receipt is signed by key [0-9a-f ]{19} \(approver "alice"\), not by the given public key\./,
    );
  });

  it("--approvers FILE, and no approvers file at all", async () => {
    const path = receiptFile(JSON.stringify(ascii.receipt));
    const elsewhere = join(dirs.root, "other-approvers.json");
    writeFileSync(elsewhere, JSON.stringify({ v: 1, approvers: file.approvers }), { mode: 0o600 });
    const empty = { HITL_CONFIG_DIR: join(dirs.root, "empty-config"), HITL_STATE_DIR: join(dirs.root, "empty-state") };
    expect((await verify(["--approvers", elsewhere, path], empty)).code).toBe(0);
    const none = await verify([path], empty);
    expect(none.code).toBe(3);
    expect(none.stderr).toBe(
      `hitl: ERR_UNKNOWN_APPROVER: No approver is paired yet (the approvers file ${join(empty.HITL_CONFIG_DIR, "approvers.json")} has none). Run \`hitl pair\` to pair your browser.\n`,
    );
  });

  it("--at now checks the window against the current clock; the default is the decision time", async () => {
    const path = receiptFile(JSON.stringify(ascii.receipt));
    expect((await verify([path])).code).toBe(0);
    const now = await verify(["--at", "now", path]);
    expect(now.code).toBe(3);
    expect(now.stderr).toMatch(
      /^hitl: ERR_EXPIRED: The approval expired at 2026-01-01T00:04:00\.000Z \(now .+\)\. Request a new approval\.\n$/,
    );
    expect((await verify(["--at", String(file.verifyAt + 10_000), path])).stderr).toMatch(/^hitl: ERR_EXPIRED: /);
  });

  it("--aud another audience: ERR_AUDIENCE_MISMATCH", async () => {
    const run = await verify(["--aud", "billing", receiptFile(JSON.stringify(ascii.receipt))]);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'hitl: ERR_AUDIENCE_MISMATCH: The approval is for audience "hitl-cli", not "billing"; it cannot be used here. Request an approval for this audience.\n',
    );
  });

  it("reads standard input with -", async () => {
    const child = spawn(process.execPath, [BIN, "verify", "-"], {
      env: { PATH: process.env.PATH ?? "", ...dirs.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stdin.end(JSON.stringify(ascii.receipt));
    const code = await new Promise<number | null>((r) => child.once("close", r));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^VALID — approved by alice/);
  });

  it.each<[string, () => string[], string | RegExp]>([
    [
      "no receipt",
      () => [],
      "hitl: ERR_USAGE: Give exactly one receipt file (or - for standard input), got 0. Run 'hitl verify --help' for the options.\n",
    ],
    [
      "two receipts",
      () => ["a.json", "b.json"],
      "hitl: ERR_USAGE: Give exactly one receipt file (or - for standard input), got 2. Run 'hitl verify --help' for the options.\n",
    ],
    [
      "both key sources",
      () => ["--approvers", "x", "--public-key", ascii.approver.publicKey, "r.json"],
      "hitl: ERR_USAGE: Use --approvers or --public-key, not both. Run 'hitl verify --help' for the options.\n",
    ],
    [
      "an unknown flag",
      () => ["--nonce", "r.json"],
      /^hitl: ERR_USAGE: Unknown option '--nonce'\..* Run 'hitl verify --help' for the options\.\n$/,
    ],
    [
      "a bad --at",
      () => ["--at", "yesterday", "r.json"],
      `hitl: ERR_USAGE: --at must be seconds since the epoch or "now", got "yesterday". Run 'hitl verify --help' for the options.\n`,
    ],
    [
      "a bad --intent",
      () => ["--intent", "abc", "r.json"],
      "hitl: ERR_USAGE: --intent must be a base64url SHA-256 digest (43 characters). Run 'hitl verify --help' for the options.\n",
    ],
    [
      "a short --public-key",
      () => ["--public-key", "AAAA", "r.json"],
      "hitl: ERR_USAGE: --public-key must be a raw 32-byte Ed25519 key in base64url (43 characters), got 3 bytes.\n",
    ],
    [
      "a --public-key with padding",
      () => ["--public-key", `${ascii.approver.publicKey}=`, "r.json"],
      "hitl: ERR_INVALID_ENCODING: --public-key is not valid base64url: unexpected character at position 43 (use A-Z a-z 0-9 - _ and no padding).\n",
    ],
    [
      "a weak --public-key",
      () => ["--public-key", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", receiptFile(JSON.stringify(ascii.receipt))],
      "hitl: ERR_WEAK_PUBLIC_KEY: The given public key is a small-order point, which would verify signatures for many messages; it is refused. Pair the approver again with `hitl pair`.\n",
    ],
    [
      "a missing file",
      () => ["/nonexistent/hitl-receipt.json"],
      "hitl: ERR_USAGE: Cannot read the receipt file /nonexistent/hitl-receipt.json (ENOENT). Check the path.\n",
    ],
    [
      "a file over the size limit",
      () => [receiptFile(" ".repeat(70_000))],
      "hitl: ERR_TOO_LARGE: The receipt is larger than 65536 bytes; it cannot be a hitl receipt.\n",
    ],
    [
      "a file that is not UTF-8",
      () => [receiptFile(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))],
      "hitl: ERR_INVALID_ENCODING: The receipt is not valid UTF-8; it was corrupted or is not a hitl receipt.\n",
    ],
    ["a file that is not JSON", () => [receiptFile("not json")], "hitl: ERR_MALFORMED: The receipt is not valid JSON.\n"],
    [
      "duplicate member names",
      () => [receiptFile(JSON.stringify(ascii.receipt).replace('"v":1,', '"v":1,"v":1,'))],
      'hitl: ERR_MALFORMED: The receipt repeats the member name "v" in one object; duplicate names are ambiguous and refused.\n',
    ],
  ])("%s: exit 3 with the code and what to do", async (_name, args, stderr) => {
    const run = await verify(args());
    expect(run.code).toBe(3);
    if (typeof stderr === "string") expect(run.stderr).toBe(stderr);
    else expect(run.stderr).toMatch(stderr);
    expect(run.stdout).toBe("");
  });

  it("--json on a usage error still answers in JSON", async () => {
    const run = await verify(["--json"]);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toEqual({
      valid: false,
      code: "ERR_USAGE",
      message: "Give exactly one receipt file (or - for standard input), got 0. Run 'hitl verify --help' for the options.",
    });
  });

  it("an insecure approvers file is refused", async () => {
    const path = join(dirs.root, "open-approvers.json");
    writeFileSync(path, JSON.stringify({ v: 1, approvers: file.approvers }), { mode: 0o666 });
    const { chmodSync } = await import("node:fs");
    chmodSync(path, 0o666);
    const run = await verify(["--approvers", path, receiptFile(JSON.stringify(ascii.receipt))]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^hitl: ERR_APPROVERS_FILE_INSECURE: The approvers file .+ is world-writable/);
  });
});
