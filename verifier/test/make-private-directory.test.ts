import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { makePrivateDirectory, makePrivateDirectorySync } from "../src/index.js";

let root: string | undefined;
afterEach(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
});
const fresh = () => {
  root = mkdtempSync(join(tmpdir(), "hitl-mkdir-"));
  return root;
};

describe.each([
  ["makePrivateDirectory", (path: string) => makePrivateDirectory(path)],
  ["makePrivateDirectorySync", async (path: string) => makePrivateDirectorySync(path)],
])("%s", (_name, make) => {
  test("creates every missing component with mode 0700 and accepts an existing directory", async () => {
    const dir = join(fresh(), "a", "b", "c");
    await make(dir);
    for (const path of [join(root!, "a"), join(root!, "a", "b"), dir]) expect(statSync(path).mode & 0o777).toBe(0o700);
    await expect(make(dir)).resolves.toBeUndefined();
  });

  test("a file in the way is ENOTDIR, not a silent success", async () => {
    const file = join(fresh(), "file");
    writeFileSync(file, "x");
    await expect(make(file)).rejects.toMatchObject({ code: "ENOTDIR" });
    await expect(make(join(file, "below"))).rejects.toMatchObject({ code: "ENOTDIR" });
  });

  // Node's own recursive mkdir loops forever on this path (its parent exists, mkdir says ENOENT).
  test.runIf(process.platform === "linux")("a path under /proc fails at once with ENOENT instead of looping", async () => {
    const started = Date.now();
    await expect(make("/proc/nope/deeper")).rejects.toMatchObject({ code: "ENOENT" });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
