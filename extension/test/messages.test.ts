import { type HitlError, parseHostToExtension } from "@hitl/verifier/protocol";
import { beforeAll, describe, expect, test, vi } from "vitest";
import type { Runtime } from "webextension-polyfill";
import { OFFSCREEN_TARGET } from "../src/lib/offscreen-messages.js";
import {
  answersTo,
  type FakeNativePort,
  fromPage,
  PAGES,
  type Profile,
  startConnected,
  type Worker,
  waitFor,
} from "./fake-browser/worker.js";
import { digestOfChallenge, host, makeChallenge, makePairingRequest, newRequestId } from "./helpers/protocol-fixtures.js";

vi.mock("../src/lib/browser.js", () => import("./fake-browser/browser-module.js"));

/*
 * Every message the worker accepts, from its pages (ui-router.ts) and from the host
 * (native-port.ts), refused when malformed: wrong type, missing field, extra field, oversize; and
 * page messages from the wrong sender (another extension, a web origin, another of our pages,
 * another window). A refused message changes nothing: no answer to the host, no window opened or
 * closed, no storage written. The worker holds a pending approval and pairing the whole time, so
 * a message wrongly accepted would act on them.
 */
let profile: Profile;
let worker: Worker;
let port: FakeNativePort;
/** A pending approval and a pending pairing, each in its own window (opened in beforeAll). */
const signed = makeChallenge();
const sign = { requestId: newRequestId(), windowId: 0, digest: digestOfChallenge(signed) };
const pair = { requestId: newRequestId(), windowId: 0 };

const REFUSED = { ok: false, error: { code: "ERR_PROTOCOL", message: "Unknown message or sender." } };
const LONG = "a".repeat(200_000);
const KID = "K".repeat(43);

async function windowOf(requestId: string): Promise<number> {
  await waitFor(() => expect(worker.service.store.entries.get(requestId)?.windowId).toBeDefined());
  return worker.service.store.entries.get(requestId)!.windowId!;
}

beforeAll(async () => {
  ({ profile, worker, port } = await startConnected());
  // Paired, with one approval and one pairing waiting.
  const first = newRequestId();
  port.hostSend(host.pairRequest(first, makePairingRequest()));
  await fromPage(profile, "pairing", { type: "pairing.decide", requestId: first, accept: true }, await windowOf(first));
  await fromPage(profile, "pairing", { type: "pairing.close" }, profile.browser.windows.forRequest(first)!.id);
  port.hostSend(host.signRequest(sign.requestId, signed));
  sign.windowId = await windowOf(sign.requestId);
  port.hostSend(host.pairRequest(pair.requestId, makePairingRequest()));
  pair.windowId = await windowOf(pair.requestId);
});

/** Everything a message could have changed. */
function observable() {
  return structuredClone({
    posted: port.posted.length,
    windows: [...profile.browser.windows.open.keys()],
    created: profile.browser.windows.created.length,
    local: [...profile.browser.storage.local.data],
    session: [...profile.browser.storage.session.data],
    entries: [...worker.service.store.entries.keys()],
  });
}

async function expectNoEffect(act: () => Promise<unknown>): Promise<unknown> {
  const before = observable();
  const answer = await act();
  // Let anything the message set off (window removals, saves) happen before comparing.
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect(observable()).toEqual(before);
  return answer;
}

type Page = keyof typeof PAGES;
interface PageMessage {
  type: string;
  page: Page;
  /** The window the page is in (pairing.close and the decide messages act on it). */
  window: () => number | undefined;
  valid: () => Record<string, unknown>;
  /** Malformed variants: wrong type, missing field, extra field, oversize (at least one of each). */
  malformed: () => Array<[string, unknown]>;
}

const messages: PageMessage[] = [
  {
    type: "approval.get",
    page: "approval",
    window: () => sign.windowId,
    valid: () => ({ type: "approval.get", requestId: sign.requestId }),
    malformed: () => [
      ["wrong type: requestId a number", { type: "approval.get", requestId: 42 }],
      ["wrong type: requestId upper-case", { type: "approval.get", requestId: sign.requestId.toUpperCase() }],
      ["missing requestId", { type: "approval.get" }],
      ["extra field", { type: "approval.get", requestId: sign.requestId, windowId: sign.windowId }],
      ["oversize requestId", { type: "approval.get", requestId: sign.requestId + LONG }],
    ],
  },
  {
    type: "approval.decide",
    page: "approval",
    window: () => sign.windowId,
    valid: () => ({ type: "approval.decide", requestId: sign.requestId, decision: "approve", shownDigest: sign.digest }),
    malformed: () => [
      ["wrong type: decision a boolean", { type: "approval.decide", requestId: sign.requestId, decision: true, shownDigest: sign.digest }],
      [
        "wrong value: decision APPROVE",
        { type: "approval.decide", requestId: sign.requestId, decision: "APPROVE", shownDigest: sign.digest },
      ],
      [
        "wrong type: shownDigest padded",
        { type: "approval.decide", requestId: sign.requestId, decision: "approve", shownDigest: `${sign.digest}=` },
      ],
      ["missing shownDigest", { type: "approval.decide", requestId: sign.requestId, decision: "approve" }],
      ["missing decision", { type: "approval.decide", requestId: sign.requestId, shownDigest: sign.digest }],
      ["extra field", { type: "approval.decide", requestId: sign.requestId, decision: "approve", shownDigest: sign.digest, challenge: {} }],
      ["oversize shownDigest", { type: "approval.decide", requestId: sign.requestId, decision: "approve", shownDigest: LONG }],
    ],
  },
  {
    type: "pairing.get",
    page: "pairing",
    window: () => pair.windowId,
    valid: () => ({ type: "pairing.get", requestId: pair.requestId }),
    malformed: () => [
      ["wrong type: requestId an array", { type: "pairing.get", requestId: [pair.requestId] }],
      ["missing requestId", { type: "pairing.get" }],
      ["extra field", { type: "pairing.get", requestId: pair.requestId, keyLifetime: "session" }],
      ["oversize requestId", { type: "pairing.get", requestId: LONG }],
    ],
  },
  {
    type: "pairing.decide",
    page: "pairing",
    window: () => pair.windowId,
    valid: () => ({ type: "pairing.decide", requestId: pair.requestId, accept: false }),
    malformed: () => [
      ["wrong type: accept a string", { type: "pairing.decide", requestId: pair.requestId, accept: "true" }],
      ["wrong type: accept 1", { type: "pairing.decide", requestId: pair.requestId, accept: 1 }],
      ["missing accept", { type: "pairing.decide", requestId: pair.requestId }],
      ["extra field", { type: "pairing.decide", requestId: pair.requestId, accept: true, subject: "mallory" }],
      ["oversize requestId", { type: "pairing.decide", requestId: pair.requestId + LONG, accept: true }],
    ],
  },
  {
    type: "pairing.close",
    page: "pairing",
    window: () => pair.windowId,
    valid: () => ({ type: "pairing.close" }),
    malformed: () => [
      ["extra field: another window", { type: "pairing.close", windowId: 1001 }],
      ["wrong type: type an array", { type: ["pairing.close"] }],
      ["missing type", {}],
      ["oversize type", { type: `pairing.close${LONG}` }],
    ],
  },
  {
    type: "popup.status",
    page: "popup",
    window: () => undefined,
    valid: () => ({ type: "popup.status" }),
    malformed: () => [
      ["extra field", { type: "popup.status", verbose: true }],
      ["wrong type: type a number", { type: 7 }],
      ["oversize extra field", { type: "popup.status", pad: LONG }],
    ],
  },
  {
    type: "popup.denyAll",
    page: "popup",
    window: () => undefined,
    valid: () => ({ type: "popup.denyAll" }),
    malformed: () => [
      ["extra field", { type: "popup.denyAll", requestId: sign.requestId }],
      ["wrong type: type with different case", { type: "popup.denyall" }],
      ["oversize extra field", { type: "popup.denyAll", pad: LONG }],
    ],
  },
  {
    type: "team.status",
    page: "team",
    window: () => undefined,
    valid: () => ({ type: "team.status" }),
    malformed: () => [
      ["extra field", { type: "team.status", config: {} }],
      ["wrong type: type null", { type: null }],
      ["oversize type", { type: `team.${LONG}` }],
    ],
  },
  {
    type: "team.forget",
    page: "team",
    window: () => undefined,
    valid: () => ({ type: "team.forget" }),
    malformed: () => [
      ["extra field", { type: "team.forget", kid: KID }],
      ["oversize extra field", { type: "team.forget", pad: LONG }],
    ],
  },
  {
    type: "team.configure",
    page: "team",
    window: () => undefined,
    valid: () => ({
      type: "team.configure",
      config: { keycloakUrl: "https://id.example", realm: "hitl", serverUrl: "https://hitl.example" },
    }),
    malformed: () => [
      ["wrong type: config a string", { type: "team.configure", config: "https://id.example" }],
      [
        "wrong value: plain http to a remote host",
        { type: "team.configure", config: { keycloakUrl: "http://id.example", realm: "hitl", serverUrl: "https://hitl.example" } },
      ],
      [
        "wrong value: credentials in the URL",
        { type: "team.configure", config: { keycloakUrl: "https://u:p@id.example", realm: "hitl", serverUrl: "https://hitl.example" } },
      ],
      ["missing realm", { type: "team.configure", config: { keycloakUrl: "https://id.example", serverUrl: "https://hitl.example" } }],
      ["missing config", { type: "team.configure" }],
      [
        "extra field",
        {
          type: "team.configure",
          config: { keycloakUrl: "https://id.example", realm: "hitl", serverUrl: "https://hitl.example", clientId: "x" },
        },
      ],
      [
        "oversize URL",
        { type: "team.configure", config: { keycloakUrl: `https://id.example/${LONG}`, realm: "hitl", serverUrl: "https://hitl.example" } },
      ],
    ],
  },
  {
    type: "team.signRegistration",
    page: "team",
    window: () => undefined,
    valid: () => ({ type: "team.signRegistration", iss: "https://id.example/realms/hitl", sub: "alice" }),
    malformed: () => [
      ["wrong type: sub a number", { type: "team.signRegistration", iss: "https://id.example/realms/hitl", sub: 1 }],
      ["wrong value: control character", { type: "team.signRegistration", iss: "https://id.example/realms/hitl", sub: "al\nice" }],
      ["missing iss", { type: "team.signRegistration", sub: "alice" }],
      ["extra field", { type: "team.signRegistration", iss: "https://id.example/realms/hitl", sub: "alice", aud: "x" }],
      ["oversize sub", { type: "team.signRegistration", iss: "https://id.example/realms/hitl", sub: "a".repeat(257) }],
    ],
  },
  {
    type: "team.registered",
    page: "team",
    window: () => undefined,
    valid: () => ({ type: "team.registered", sub: "u-1", username: "alice", kid: KID, expiresAt: 2_000_000_000 }),
    malformed: () => [
      ["wrong type: expiresAt a string", { type: "team.registered", sub: "u-1", username: "alice", kid: KID, expiresAt: "2000000000" }],
      ["wrong value: kid not a digest", { type: "team.registered", sub: "u-1", username: "alice", kid: "kid", expiresAt: 1 }],
      ["missing username", { type: "team.registered", sub: "u-1", kid: KID, expiresAt: 1 }],
      ["extra field", { type: "team.registered", sub: "u-1", username: "alice", kid: KID, expiresAt: 1, serverUrl: "https://x" }],
      ["oversize username", { type: "team.registered", sub: "u-1", username: LONG, kid: KID, expiresAt: 1 }],
    ],
  },
  {
    type: "team.cli.get",
    page: "team",
    window: () => undefined,
    valid: () => ({ type: "team.cli.get", signedIn: false }),
    malformed: () => [
      ["wrong type: signedIn a string", { type: "team.cli.get", signedIn: "yes" }],
      ["missing signedIn", { type: "team.cli.get" }],
      ["extra field", { type: "team.cli.get", signedIn: true, requestId: sign.requestId }],
      ["oversize extra field", { type: "team.cli.get", signedIn: true, pad: LONG }],
    ],
  },
  {
    type: "team.cli.listed",
    page: "team",
    window: () => undefined,
    valid: () => ({ type: "team.cli.listed", requestId: sign.requestId, keys: [] }),
    malformed: () => [
      ["wrong type: requestId a number", { type: "team.cli.listed", requestId: 1, keys: [] }],
      ["missing keys", { type: "team.cli.listed", requestId: sign.requestId }],
      ["extra field", { type: "team.cli.listed", requestId: sign.requestId, keys: [], more: true }],
      ["oversize requestId", { type: "team.cli.listed", requestId: LONG, keys: [] }],
    ],
  },
  {
    type: "team.cli.revoked",
    page: "team",
    window: () => undefined,
    valid: () => ({ type: "team.cli.revoked", requestId: sign.requestId, kid: KID }),
    malformed: () => [
      ["wrong value: kid not a digest", { type: "team.cli.revoked", requestId: sign.requestId, kid: "k" }],
      ["missing kid", { type: "team.cli.revoked", requestId: sign.requestId }],
      ["extra field", { type: "team.cli.revoked", requestId: sign.requestId, kid: KID, at: 1 }],
      ["oversize kid", { type: "team.cli.revoked", requestId: sign.requestId, kid: `${KID}${LONG}` }],
    ],
  },
  {
    type: "team.cli.fail",
    page: "team",
    window: () => undefined,
    valid: () => ({ type: "team.cli.fail", requestId: sign.requestId, code: "ERR_TIMEOUT", message: "gave up" }),
    malformed: () => [
      ["wrong value: code in lower case", { type: "team.cli.fail", requestId: sign.requestId, code: "err_timeout", message: "x" }],
      ["missing message", { type: "team.cli.fail", requestId: sign.requestId, code: "ERR_TIMEOUT" }],
      ["extra field", { type: "team.cli.fail", requestId: sign.requestId, code: "ERR_TIMEOUT", message: "x", kid: KID }],
      ["oversize message", { type: "team.cli.fail", requestId: sign.requestId, code: "ERR_TIMEOUT", message: "x".repeat(2049) }],
    ],
  },
];

describe("page messages (ui-router.ts)", () => {
  test("the table names every page message type", async () => {
    const source = await import("node:fs/promises").then((fs) =>
      fs.readFile(new URL("../src/lib/ui-messages.ts", import.meta.url), "utf8"),
    );
    const teamSource = await import("node:fs/promises").then((fs) =>
      fs.readFile(new URL("../src/lib/team-messages.ts", import.meta.url), "utf8"),
    );
    const declared = [...`${source}\n${teamSource}`.matchAll(/\{ type: "([a-zA-Z.]+)"/g)].map((m) => m[1]);
    expect(new Set(messages.map((m) => m.type))).toEqual(new Set(declared));
  });

  for (const message of messages) {
    describe(message.type, () => {
      test.each(message.malformed())("refused: %s", async (_name, raw) => {
        const answer = await expectNoEffect(() => fromPage(profile, message.page, raw, message.window()));
        expect(answer).toEqual(REFUSED);
      });

      test("refused from a web page, another extension, a page without URL", async () => {
        const { runtime } = profile.browser;
        const own = runtime.pageSender(PAGES[message.page], message.window());
        const senders: Runtime.MessageSender[] = [
          { ...own, id: "another-extension-id" },
          { ...own, url: `https://evil.example/${PAGES[message.page]}` },
          { ...own, url: `moz-extension://another-extension-id/${PAGES[message.page]}` },
          { id: runtime.id, ...(own.tab === undefined ? {} : { tab: own.tab }) },
          { ...own, url: `${runtime.getURL(PAGES[message.page])}/../../popup/popup.html` },
          { ...own, url: runtime.getURL(PAGES.offscreen) },
        ];
        for (const sender of senders) {
          expect(await expectNoEffect(() => runtime.sendFromPage(message.valid(), sender))).toEqual(REFUSED);
        }
      });
    });
  }

  const onlyFrom: Record<string, [Page, string] | undefined> = {
    "approval.get": ["approval", "Only an approval window may read a challenge."],
    "approval.decide": ["approval", "Only an approval window may decide."],
    "pairing.get": ["pairing", "Only a pairing window may read a pairing request."],
    "pairing.decide": ["pairing", "Only a pairing window may answer a pairing request."],
    "pairing.close": ["pairing", "Only a pairing window may close itself this way."],
    "popup.denyAll": ["popup", "Only the toolbar popup may deny all waiting requests."],
    "popup.status": undefined, // any of the extension's pages may read the status
  };
  test.each(messages.map((m) => [m.type, m] as const))("%s from another of the extension's pages is refused", async (type, message) => {
    const [page, refusal] =
      onlyFrom[type] ?? (type.startsWith("team.") ? ["team", "Only the team sign-in window may do this."] : [undefined, ""]);
    if (page === undefined) {
      expect(type).toBe("popup.status");
      return;
    }
    expect(page).toBe(message.page);
    for (const other of ["approval", "pairing", "popup", "team"] as const) {
      if (other === page) continue;
      const answer = await expectNoEffect(() => fromPage(profile, other, message.valid(), message.window()));
      expect(answer).toEqual({ ok: false, error: { code: "ERR_PROTOCOL", message: refusal } });
    }
  });

  test("a decision from the right page in another window, or with no window, is refused", async () => {
    const valid = { type: "approval.decide", requestId: sign.requestId, decision: "approve", shownDigest: sign.digest };
    const refusal = { ok: false, error: { code: "ERR_PROTOCOL", message: "A window can only decide the request it shows." } };
    expect(await expectNoEffect(() => fromPage(profile, "approval", valid, pair.windowId))).toEqual(refusal);
    expect(await expectNoEffect(() => fromPage(profile, "approval", valid, undefined))).toEqual(refusal);
  });

  test("messages for the offscreen document are left unanswered, whoever sends them", async () => {
    for (const page of Object.keys(PAGES) as Page[]) {
      const answer = await expectNoEffect(() => fromPage(profile, page, { target: OFFSCREEN_TARGET, op: "sign", bytes: "aGl0bA" }));
      expect(answer).toBeUndefined();
    }
  });

  test("not JSON objects: refused", async () => {
    for (const raw of [null, undefined, 0, "approval.get", [], [{ type: "popup.status" }], true]) {
      expect(await expectNoEffect(() => fromPage(profile, "popup", raw))).toEqual(REFUSED);
    }
  });

  test("the valid approval.decide from its own window still works after all of the above", async () => {
    const { requestId, windowId, digest } = sign;
    const answer = await fromPage(
      profile,
      "approval",
      { type: "approval.decide", requestId, decision: "deny", shownDigest: digest },
      windowId,
    );
    expect(answer).toEqual({ ok: true, value: null });
    await waitFor(() => expect(answersTo(port, requestId)).toEqual([expect.objectContaining({ type: "sign.result" })]));
  });
});

describe("host messages (native-port.ts)", () => {
  const id = newRequestId();
  const challenge = makeChallenge();
  const request = makePairingRequest();
  const rows: Array<[string, string, Record<string, unknown>]> = [
    ["sign.prepare: extra field", "ERR_MALFORMED", { type: "sign.prepare", requestId: id, challenge }],
    ["sign.request: wrong type of challenge", "ERR_MALFORMED", { type: "sign.request", requestId: id, challenge: "deploy" }],
    ["sign.request: missing challenge", "ERR_MALFORMED", { type: "sign.request", requestId: id }],
    ["sign.request: extra field", "ERR_MALFORMED", { type: "sign.request", requestId: id, challenge, decision: "approve" }],
    [
      "sign.request: challenge with an extra field",
      "ERR_MALFORMED",
      { type: "sign.request", requestId: id, challenge: { ...challenge, x: 1 } },
    ],
    [
      "sign.request: oversize summary",
      "ERR_TOO_LARGE",
      { type: "sign.request", requestId: id, challenge: { ...challenge, action: { summary: "x".repeat(2049) } } },
    ],
    ["sign.request: wrong version", "ERR_UNSUPPORTED_VERSION", { type: "sign.request", requestId: id, challenge: { ...challenge, v: 2 } }],
    ["pair.request: wrong keyLifetime", "ERR_MALFORMED", { type: "pair.request", requestId: id, request, keyLifetime: "forever" }],
    ["pair.request: missing request", "ERR_MALFORMED", { type: "pair.request", requestId: id }],
    ["pair.request: extra field", "ERR_MALFORMED", { type: "pair.request", requestId: id, request, subject: "mallory" }],
    [
      "pair.request: oversize subject",
      "ERR_TOO_LARGE",
      { type: "pair.request", requestId: id, request: { ...request, subject: "s".repeat(257) } },
    ],
    ["request.withdraw: extra field", "ERR_MALFORMED", { type: "request.withdraw", requestId: id, all: true }],
    ["status.request: extra field", "ERR_MALFORMED", { type: "status.request", requestId: id, verbose: 1 }],
    ["keys.list: extra field", "ERR_MALFORMED", { type: "keys.list", requestId: id, kid: KID }],
    ["keys.revoke: missing kid", "ERR_MALFORMED", { type: "keys.revoke", requestId: id }],
    ["keys.revoke: wrong kid", "ERR_INVALID_ENCODING", { type: "keys.revoke", requestId: id, kid: "k" }],
    ["keys.revoke: oversize kid", "ERR_INVALID_ENCODING", { type: "keys.revoke", requestId: id, kid: `${KID}${LONG}` }],
    ["an unknown type", "ERR_PROTOCOL", { type: "sign.now", requestId: id }],
  ];

  test.each(rows)("%s: answered %s, nothing else happens", async (_name, code, raw) => {
    const expected = (() => {
      try {
        parseHostToExtension(raw);
      } catch (error) {
        return (error as HitlError).toJSON();
      }
      throw new Error("the row is not malformed");
    })();
    expect(expected.code).toBe(code);
    const before = port.posted.length;
    const state = observable();
    port.hostSend(raw);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(port.posted.slice(before)).toEqual([{ type: "request.error", requestId: id, error: expected }]);
    expect({ ...observable(), posted: state.posted }).toEqual(state);
  });

  test.each<[string, unknown]>([
    ["malformed host.hello", { type: "host.hello", hostVersion: "1", port: "7331", pid: 1 }],
    ["malformed host.error", { type: "host.error", error: { code: "ERR_NOPE", message: "x" } }],
    ["a request with a malformed id", { type: "sign.request", requestId: "1", challenge }],
    ["a request without an id", { type: "sign.prepare" }],
    ["no object", [1, 2, 3]],
  ])("%s: nobody to answer, dropped; the connection stays", async (_name, raw) => {
    const state = observable();
    port.hostSend(raw);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(observable()).toEqual(state);
    expect(worker.service.port.state.kind).toBe("connected");
  });

  test("a well-formed host.error is kept as the reason of the disconnect that follows", async () => {
    port.hostSend(host.error("ERR_PORT_IN_USE", "Port 7331 is taken."));
    expect(worker.service.port.state.kind).toBe("connected");
    port.hostClose();
    expect(worker.service.port.state).toMatchObject({ kind: "disconnected", lastError: "ERR_PORT_IN_USE: Port 7331 is taken." });
  });
});
