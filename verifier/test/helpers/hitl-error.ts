import { expect } from "vitest";

/** `run` throws a HitlError with this code and this message (exact, or matching the pattern). */
export function rejects(run: () => unknown, code: string, message: string | RegExp): void {
  expect(run).toThrow(
    expect.objectContaining({ name: "HitlError", code, message: typeof message === "string" ? message : expect.stringMatching(message) }),
  );
}
