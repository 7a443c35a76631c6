import { describe, expect, it } from "vitest";
import type { Peer } from "../src/http/lib/peer-identity.js";
import { PendingRequests } from "../src/http/lib/pending-requests.js";

/* The bookkeeping behind 429 ERR_TOO_MANY_PENDING: per peer process, overall, and the reserve. */

const flooder: Peer = { key: "process:1000:500", uid: 1000, pid: 500 };
const second: Peer = { key: "process:1000:501", uid: 1000, pid: 501 };
const newcomer: Peer = { key: "process:1000:900", uid: 1000, pid: 900 };
const hidden: Peer = { key: "uid:1000", uid: 1000 };

let counter = 0;
function doc() {
  counter++;
  return { id: `id-${counter}`, nonce: `nonce-${counter}` };
}

function codeOf(run: () => unknown): { code: string; message: string } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
}

describe("PendingRequests", () => {
  it("holds one process to maxPerPeer and keeps the reserve for a process with nothing waiting", () => {
    const pending = new PendingRequests({ maxPerPeer: 4, maxTotal: 10, reservedForNewPeers: 2 });
    for (let i = 0; i < 4; i++) pending.reserve(doc(), () => flooder);
    expect(codeOf(() => pending.reserve(doc(), () => flooder))).toEqual({
      code: "ERR_TOO_MANY_PENDING",
      message:
        "This program (pid 500) already has 4 requests waiting for a decision (limit 4 per process); wait for one to finish, or deny them all from the hitl extension's toolbar popup.",
    });
    for (let i = 0; i < 4; i++) pending.reserve(doc(), () => second);
    // 8 of 10 taken: the last 2 are the reserve. A process that already waits may not take them...
    pending.reserve(doc(), () => hidden);
    expect(pending.size).toBe(9);
    expect(codeOf(() => pending.reserve(doc(), () => hidden))).toEqual({
      code: "ERR_TOO_MANY_PENDING",
      message:
        "9 requests are already waiting for a decision and the last 2 places are kept for programs with nothing waiting; this program (an uninspectable process of uid 1000) has 1. Wait for one to finish, then retry.",
    });
    // ...a new one may.
    pending.reserve(doc(), () => newcomer);
    expect(pending.size).toBe(10);
    expect(codeOf(() => pending.reserve(doc(), () => ({ key: "process:1000:901", uid: 1000, pid: 901 })))).toEqual({
      code: "ERR_TOO_MANY_PENDING",
      message:
        "10 requests are already waiting for a decision (limit 10); decide them, or deny them all from the hitl extension's toolbar popup, then retry.",
    });
  });

  it("does not look for the peer when the host is full (finding it reads /proc)", () => {
    const pending = new PendingRequests({ maxPerPeer: 1, maxTotal: 1, reservedForNewPeers: 0 });
    expect(pending.reserve(doc(), () => flooder).peer).toBe(flooder);
    let asked = false;
    const refused = codeOf(() =>
      pending.reserve(doc(), () => {
        asked = true;
        return newcomer;
      }),
    );
    expect(refused?.code).toBe("ERR_TOO_MANY_PENDING");
    expect(asked).toBe(false);
  });

  it("gives the place back on release, once, and refuses a duplicate id or nonce (409)", () => {
    const pending = new PendingRequests({ maxPerPeer: 1, maxTotal: 2, reservedForNewPeers: 0 });
    const first = doc();
    const { release } = pending.reserve(first, () => flooder);
    expect(codeOf(() => pending.reserve({ id: first.id, nonce: "other" }, () => newcomer))?.code).toBe("ERR_DUPLICATE_REQUEST");
    expect(codeOf(() => pending.reserve({ id: "other", nonce: first.nonce }, () => newcomer))?.code).toBe("ERR_DUPLICATE_REQUEST");
    expect(codeOf(() => pending.reserve(doc(), () => flooder))?.code).toBe("ERR_TOO_MANY_PENDING");
    const { release: releaseOther } = pending.reserve(doc(), () => newcomer);
    release();
    release();
    expect(pending.size).toBe(1);
    pending.reserve(first, () => flooder);
    expect(pending.size).toBe(2);
    releaseOther();
    expect(pending.size).toBe(1);
  });
});
