import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeApprover } from "@hitl/verifier/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { precheckApprovers } from "../src/lib/approvers-precheck.js";

/*
 * The quick look before a challenge is sent. "usable" only lets the full check run while the
 * human reads the window; anything unusual must be "unclear" (full check first), and only a
 * missing file is "none".
 */

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hitl-precheck-"));
  path = join(dir, "approvers.json");
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(text: string, mode = 0o600): void {
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
}

const LISTED = () => JSON.stringify({ v: 1, approvers: [makeApprover("alice").record] });

describe("precheckApprovers", () => {
  it("none: no file (nobody paired here)", () => {
    expect(precheckApprovers(path)).toBe("none");
  });

  it("usable: a private regular file listing an approver", () => {
    write(LISTED());
    expect(precheckApprovers(path)).toBe("usable");
  });

  it.each([
    ["an empty approvers list", JSON.stringify({ v: 1, approvers: [] })],
    ["no approvers array", JSON.stringify({ v: 1, approvers: {} })],
    ["invalid JSON", "{ v: 1"],
    ["null", "null"],
  ])("unclear: %s (the verifier says exactly what is wrong, before asking)", (_what, text) => {
    write(text);
    expect(precheckApprovers(path)).toBe("unclear");
  });

  it("unclear: a world-writable file, or one in a world-writable directory without the sticky bit", () => {
    write(LISTED(), 0o666);
    expect(precheckApprovers(path)).toBe("unclear");
    chmodSync(path, 0o600);
    chmodSync(dir, 0o777);
    expect(precheckApprovers(path)).toBe("unclear");
    chmodSync(dir, 0o1777);
    expect(precheckApprovers(path)).toBe("usable");
    chmodSync(dir, 0o700);
  });

  it("unclear: a symbolic link, a directory, a file over 1 MiB", () => {
    const real = join(dir, "real.json");
    writeFileSync(real, LISTED(), { mode: 0o600 });
    symlinkSync(real, path);
    expect(precheckApprovers(path)).toBe("unclear");
    rmSync(path);
    mkdirSync(path);
    expect(precheckApprovers(path)).toBe("unclear");
    rmSync(path, { recursive: true });
    write(`${LISTED().slice(0, -1)}, "pad": "${"x".repeat(1024 * 1024)}"}`);
    expect(precheckApprovers(path)).toBe("unclear");
  });
});
