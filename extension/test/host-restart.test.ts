import { describe, expect, it } from "vitest";
import { HOST_BACK_WITHIN_MS } from "../../sdk/dist/lib/ask-host.js";
import { backoffDelay, MIN_BACKOFF_MS } from "../src/background/native-port.js";

/*
 * A host that dies with a request pending: the extension starts a new one after its first
 * backoff, and `hitl request` waits HOST_BACK_WITHIN_MS for it before giving up (exit 3). The
 * wait must leave the new host time to start (node and the HTTP server: ~150 ms on a laptop).
 */
describe("the extension's first reconnect and the SDK's wait for a new host", () => {
  it("the first reconnect comes well within the SDK's wait", () => {
    expect(backoffDelay(0, MIN_BACKOFF_MS, 30_000)).toBe(MIN_BACKOFF_MS);
    expect(HOST_BACK_WITHIN_MS - MIN_BACKOFF_MS).toBeGreaterThanOrEqual(300);
  });
});
