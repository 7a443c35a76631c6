import type { ExtensionToHost } from "@hitl/verifier/protocol";
import { beforeEach, describe, expect, test, vi } from "vitest";
import { type LostRequest, type PendingEntry, PendingStore, type SettledDecision } from "../src/background/pending.js";
import { installFakeBrowser } from "./fake-browser/browser-module.js";
import { FakeBrowser } from "./fake-browser/fake-browser.js";
import {
  digestOfChallenge,
  digestOfPairingRequest,
  makeChallenge,
  makePairingRequest,
  makeReceipt,
  newRequestId,
} from "./helpers/protocol-fixtures.js";

vi.mock("../src/lib/browser.js", () => import("./fake-browser/browser-module.js"));

/*
 * PendingStore.load over storage.session that a previous worker left: each kind of corruption,
 * what survives it, and that nothing is invented (every restored request is exactly one that was
 * saved, with the challenge its digest names) and nothing throws.
 */
const STORAGE_KEY = "hitl.pending";
let fake: FakeBrowser;

beforeEach(() => {
  fake = installFakeBrowser(new FakeBrowser());
});

interface Saved {
  sign: Extract<PendingEntry, { kind: "sign" }>;
  pair: Extract<PendingEntry, { kind: "pair" }>;
  settled: SettledDecision;
  outbox: ExtensionToHost;
  /** The snapshot as a previous worker wrote it (a plain object, to corrupt). */
  snapshot: Record<string, unknown> & {
    entries: [Record<string, unknown>, Record<string, unknown>, ...Record<string, unknown>[]];
    settled: [Record<string, unknown>, ...Record<string, unknown>[]];
    outbox: [unknown, ...unknown[]];
  };
}

/** A previous worker's state: one approval and one pairing waiting, one decision kept, one answer queued. */
async function saved(): Promise<Saved> {
  const store = new PendingStore();
  const challenge = makeChallenge();
  const signId = newRequestId();
  const sign: Saved["sign"] = {
    kind: "sign",
    key: signId,
    requestId: signId,
    generation: 3,
    challenge,
    digest: digestOfChallenge(challenge),
    windowId: 1001,
  };
  const request = makePairingRequest();
  const pairId = newRequestId();
  const pair: Saved["pair"] = {
    kind: "pair",
    key: pairId,
    requestId: pairId,
    generation: 2,
    request,
    digest: digestOfPairingRequest(request),
    keyLifetime: "persistent",
    windowId: 1002,
  };
  const decided = makeChallenge({ summary: "decided earlier" });
  const settled: SettledDecision = { digest: digestOfChallenge(decided), exp: decided.exp, generation: 2, receipt: makeReceipt(decided) };
  const outbox: ExtensionToHost = { type: "request.error", requestId: newRequestId(), error: { code: "ERR_TIMEOUT", message: "late" } };
  store.add(sign);
  store.add(pair);
  store.settled.set(settled.digest, settled);
  store.outbox.push(outbox);
  store.generation = 3;
  await store.save();
  const snapshot = fake.storage.session.data.get(STORAGE_KEY) as Saved["snapshot"];
  return { sign, pair, settled, outbox, snapshot };
}

interface Restored {
  entries: PendingEntry[];
  settled: SettledDecision[];
  outbox: ExtensionToHost[];
  generation: number;
  lost: LostRequest[];
}

async function load(): Promise<Restored> {
  const store = new PendingStore();
  const lost = await store.load();
  return {
    entries: [...store.entries.values()],
    settled: [...store.settled.values()],
    outbox: store.outbox,
    generation: store.generation,
    lost,
  };
}

test("an intact snapshot comes back as it was saved", async () => {
  const s = await saved();
  expect(await load()).toEqual({ entries: [s.sign, s.pair], settled: [s.settled], outbox: [s.outbox], generation: 3, lost: [] });
});

describe("storage that holds no usable snapshot: start empty, never throw", () => {
  const empty = { entries: [], settled: [], outbox: [], generation: 0, lost: [] };
  test.each<[string, (s: Saved) => void]>([
    ["nothing stored", () => fake.storage.session.data.clear()],
    [
      "storage.session.get rejects",
      () => {
        fake.storage.session.failNext.get = new Error("storage is shutting down");
      },
    ],
    ["null", () => fake.storage.session.plant(STORAGE_KEY, null)],
    ["a string", () => fake.storage.session.plant(STORAGE_KEY, "hitl")],
    ["a number", () => fake.storage.session.plant(STORAGE_KEY, 7)],
    ["an array", (s) => fake.storage.session.plant(STORAGE_KEY, [s.snapshot])],
    ["an empty object", () => fake.storage.session.plant(STORAGE_KEY, {})],
  ])("%s", async (_name, corrupt) => {
    corrupt(await saved());
    expect(await load()).toEqual(empty);
  });
});

type Expect = (s: Saved) => Partial<Restored>;
const only =
  (keep: (s: Saved) => PendingEntry[], lost: (s: Saved) => LostRequest[]): Expect =>
  (s) => ({ entries: keep(s), lost: lost(s) });
const lostSign = (s: Saved): LostRequest => ({ requestId: s.sign.requestId, windowId: 1001 });

describe("a corrupt request is dropped (and reported lost); the rest survives", () => {
  const rows: Array<[string, (s: Saved) => void, Expect]> = [
    [
      "entries is not a list",
      (s) => {
        s.snapshot.entries = { 0: s.snapshot.entries[0] } as never;
      },
      only(
        () => [],
        () => [],
      ),
    ],
    [
      "an entry is null",
      (s) => {
        s.snapshot.entries.unshift(null as never);
      },
      only(
        (s) => [s.sign, s.pair],
        () => [{}],
      ),
    ],
    [
      "an entry is a number",
      (s) => {
        s.snapshot.entries.push(42 as never);
      },
      only(
        (s) => [s.sign, s.pair],
        () => [{}],
      ),
    ],
    [
      "unknown kind",
      (s) => {
        s.snapshot.entries[0].kind = "keys";
      },
      only(
        (s) => [s.pair],
        (s) => [lostSign(s)],
      ),
    ],
    [
      "the challenge was altered (its digest names another)",
      (s) => {
        (s.snapshot.entries[0].challenge as { action: { summary: string } }).action.summary = "deploy to staging";
      },
      only(
        (s) => [s.pair],
        (s) => [lostSign(s)],
      ),
    ],
    [
      "the digest was altered to match nothing",
      (s) => {
        s.snapshot.entries[0].digest = "A".repeat(43);
      },
      only(
        (s) => [s.pair],
        (s) => [lostSign(s)],
      ),
    ],
    [
      "the digest is not a digest",
      (s) => {
        s.snapshot.entries[0].digest = "xyz";
      },
      only(
        (s) => [s.pair],
        (s) => [lostSign(s)],
      ),
    ],
    [
      "the challenge is missing a field",
      (s) => void delete (s.snapshot.entries[0].challenge as Record<string, unknown>).nonce,
      only(
        (s) => [s.pair],
        (s) => [lostSign(s)],
      ),
    ],
    [
      "the challenge has an extra field",
      (s) => {
        (s.snapshot.entries[0].challenge as Record<string, unknown>).approved = true;
      },
      only(
        (s) => [s.pair],
        (s) => [lostSign(s)],
      ),
    ],
    [
      "the entry has an extra field",
      (s) => {
        s.snapshot.entries[0].decision = "approve";
      },
      only(
        (s) => [s.pair],
        (s) => [lostSign(s)],
      ),
    ],
    [
      "the entry lacks its challenge",
      (s) => {
        delete s.snapshot.entries[0].challenge;
      },
      only(
        (s) => [s.pair],
        (s) => [lostSign(s)],
      ),
    ],
    [
      "the request id is not a UUID",
      (s) => {
        s.snapshot.entries[0].requestId = "../../etc";
      },
      only(
        (s) => [s.pair],
        () => [{ windowId: 1001 }],
      ),
    ],
    [
      "the key is not a UUID",
      (s) => {
        s.snapshot.entries[0].key = 12;
      },
      only(
        (s) => [s.pair],
        (s) => [lostSign(s)],
      ),
    ],
    [
      "the window id is negative",
      (s) => {
        s.snapshot.entries[0].windowId = -1;
      },
      only(
        (s) => [s.pair],
        (s) => [{ requestId: s.sign.requestId }],
      ),
    ],
    [
      "the window id is a string",
      (s) => {
        s.snapshot.entries[0].windowId = "1001";
      },
      only(
        (s) => [s.pair],
        (s) => [{ requestId: s.sign.requestId }],
      ),
    ],
    [
      "the generation is a fraction",
      (s) => {
        s.snapshot.entries[0].generation = 1.5;
      },
      only(
        (s) => [s.pair],
        (s) => [lostSign(s)],
      ),
    ],
    [
      "a pairing's key lifetime is unknown",
      (s) => {
        s.snapshot.entries[1].keyLifetime = "forever";
      },
      only(
        (s) => [s.sign],
        (s) => [{ requestId: s.pair.requestId, windowId: 1002 }],
      ),
    ],
    [
      "a pairing request was altered",
      (s) => {
        (s.snapshot.entries[1].request as { subject: string }).subject = "mallory";
      },
      only(
        (s) => [s.sign],
        (s) => [{ requestId: s.pair.requestId, windowId: 1002 }],
      ),
    ],
    [
      "a sign entry carries a pairing request instead of a challenge",
      (s) => {
        s.snapshot.entries[0].challenge = s.snapshot.entries[1].request;
        s.snapshot.entries[0].digest = s.snapshot.entries[1].digest;
      },
      only(
        (s) => [s.pair],
        (s) => [lostSign(s)],
      ),
    ],
    [
      "the same request twice: the first is kept, the copy answers nobody",
      (s) => {
        s.snapshot.entries.push(structuredClone(s.snapshot.entries[0]));
      },
      only(
        (s) => [s.sign, s.pair],
        () => [{}],
      ),
    ],
    [
      "two requests claim one window: the second loses it, and does not close it",
      (s) => {
        s.snapshot.entries[1].windowId = 1001;
      },
      only(
        (s) => [s.sign],
        (s) => [{ requestId: s.pair.requestId }],
      ),
    ],
  ];
  test.each(rows)("%s", async (_name, corrupt, expected) => {
    const s = await saved();
    corrupt(s);
    const restored = await load();
    expect(restored).toMatchObject(expected(s));
    // Settled decisions and the outbox are not touched by a corrupt request.
    expect(restored.settled).toEqual([s.settled]);
    expect(restored.outbox).toEqual([s.outbox]);
  });
});

describe("a corrupt decision or queued answer is dropped; requests survive", () => {
  const rows: Array<[string, (s: Saved) => void, { settled: boolean; outbox: boolean }]> = [
    [
      "settled is not a list",
      (s) => {
        s.snapshot.settled = "x" as never;
      },
      { settled: false, outbox: true },
    ],
    [
      "a receipt for another challenge (digest mismatch)",
      (s) => {
        s.snapshot.settled[0].digest = s.sign.digest;
      },
      { settled: false, outbox: true },
    ],
    [
      "the expiry differs from the receipt's",
      (s) => {
        s.snapshot.settled[0].exp = 9_999_999_999;
      },
      { settled: false, outbox: true },
    ],
    [
      "the receipt is malformed",
      (s) => void delete (s.snapshot.settled[0].receipt as Record<string, unknown>).sig,
      { settled: false, outbox: true },
    ],
    [
      "an extra field",
      (s) => {
        s.snapshot.settled[0].by = "host";
      },
      { settled: false, outbox: true },
    ],
    [
      "outbox is not a list",
      (s) => {
        s.snapshot.outbox = {} as never;
      },
      { settled: true, outbox: false },
    ],
    [
      "a queued answer is malformed",
      (s) => {
        (s.snapshot.outbox[0] as { error: { code: string } }).error.code = "ERR_MADE_UP";
      },
      { settled: true, outbox: false },
    ],
    [
      "a queued answer has an unknown type",
      (s) => {
        s.snapshot.outbox[0] = { type: "sign.result" };
      },
      { settled: true, outbox: false },
    ],
  ];
  test.each(rows)("%s", async (_name, corrupt, survives) => {
    const s = await saved();
    corrupt(s);
    const restored = await load();
    expect(restored.entries).toEqual([s.sign, s.pair]);
    expect(restored.lost).toEqual([]);
    expect(restored.settled).toEqual(survives.settled ? [s.settled] : []);
    expect(restored.outbox).toEqual(survives.outbox ? [s.outbox] : []);
  });

  test("a valid queued answer beside a malformed one is kept", async () => {
    const s = await saved();
    s.snapshot.outbox.unshift({ type: "request.error", requestId: "nope", error: { code: "ERR_TIMEOUT", message: "x" } });
    expect((await load()).outbox).toEqual([s.outbox]);
  });
});

describe("the handshake generation", () => {
  test.each<[string, unknown, number]>([
    ["missing", undefined, 3],
    ["negative", -1, 3],
    ["a fraction", 2.5, 3],
    ["a string", "3", 3],
    ["valid", 7, 7],
  ])("%s: falls back to the newest generation a restored item carries", async (_name, generation, expected) => {
    const s = await saved();
    if (generation === undefined) delete s.snapshot.generation;
    else s.snapshot.generation = generation;
    expect((await load()).generation).toBe(expected);
  });
});

test("thousands of garbage entries: all dropped, nothing thrown, the valid ones kept", async () => {
  const s = await saved();
  const garbage = Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? { kind: "sign", key: i } : i % 3 === 1 ? [i] : `entry ${i}`));
  s.snapshot.entries.push(...(garbage as never[]));
  const restored = await load();
  expect(restored.entries).toEqual([s.sign, s.pair]);
  expect(restored.lost).toHaveLength(5000);
  expect(restored.lost.every((item) => Object.keys(item).length === 0)).toBe(true);
});

test("no value in any field of a stored request makes the store restore a challenge that was not saved", async () => {
  for (const field of Object.keys((await saved()).snapshot.entries[0])) {
    for (const value of [null, 0, 1, -1, "", "approve", [], {}, true]) {
      fake = installFakeBrowser(new FakeBrowser());
      const s = await saved();
      s.snapshot.entries[0][field] = value;
      const { entries } = await load();
      // The pairing is untouched; the approval is either gone or the very one saved (a window id
      // or generation may read differently, which decides nothing).
      expect(entries.find((entry) => entry.kind === "pair")).toEqual(s.pair);
      const sign = entries.filter((entry) => entry.kind === "sign");
      expect(sign.length).toBeLessThanOrEqual(1);
      for (const entry of sign) {
        expect({ key: entry.key, requestId: entry.requestId, challenge: entry.challenge, digest: entry.digest }).toEqual({
          key: s.sign.key,
          requestId: s.sign.requestId,
          challenge: s.sign.challenge,
          digest: digestOfChallenge(entry.challenge),
        });
      }
    }
  }
});
