import type { ExtensionToHost } from "@hitl/verifier/protocol";
import { IDBFactory } from "fake-indexeddb";
import { expect, vi } from "vitest";
import type { ApproverService } from "../../src/background/service.js";
import { host } from "../helpers/protocol-fixtures.js";
import { installFakeBrowser } from "./browser-module.js";
import { FakeBrowser, type FakeNativePort } from "./fake-browser.js";

export type { FakeNativePort };

/*
 * The real service worker (src/background/index.ts) over a FakeBrowser. Each start loads the
 * worker's modules afresh, as the browser does after stopping it: module state (caches, the
 * in-memory session key) is gone, storage and IndexedDB stay. Test files using this must replace
 * the browser module: vi.mock("../src/lib/browser.js", () => import("./fake-browser/browser-module.js")).
 */

/** vi.waitFor with room for a loaded machine (WebCrypto and IndexedDB run off the main thread). */
export function waitFor<T>(check: () => T | Promise<T>, timeout = 10_000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 10 });
}

/** A browser profile: the fake browser and its IndexedDB (where the persistent key lives). */
export interface Profile {
  browser: FakeBrowser;
  indexedDB: IDBFactory;
}

export function newProfile(): Profile {
  return { browser: installFakeBrowser(new FakeBrowser()), indexedDB: new IDBFactory() };
}

export interface Worker {
  service: ApproverService;
  profile: Profile;
}

/** Start (or restart) the worker and wait until it has loaded its state and opened its port. */
export async function startWorker(profile: Profile): Promise<Worker> {
  installFakeBrowser(profile.browser);
  (globalThis as { indexedDB?: IDBFactory }).indexedDB = profile.indexedDB;
  vi.resetModules();
  const entry = await import("../../src/background/index.js");
  await entry.ready;
  return { service: entry.service, profile };
}

/** A fresh profile, its worker started and connected to the host (handshake done). */
export async function startConnected(): Promise<{ profile: Profile; worker: Worker; port: FakeNativePort }> {
  const profile = newProfile();
  const worker = await startWorker(profile);
  return { profile, worker, port: await handshake(profile) };
}

/** The browser stops the worker (its port closes, its listeners go), then starts it again. */
export async function restartWorker(worker: Worker): Promise<Worker> {
  worker.profile.browser.stopWorker();
  return startWorker(worker.profile);
}

/** The host answers the port the worker opened last with host.hello; resolves once the worker said hello back. */
export async function handshake(profile: Profile): Promise<FakeNativePort> {
  const port = profile.browser.runtime.nativePort;
  port.hostSend(host.hello());
  await waitFor(() => expect(port.posted.some((m) => (m as { type: string }).type === "extension.hello")).toBe(true));
  return port;
}

/** Messages the worker sent to the host on `port` with this request id. */
export function answersTo(port: FakeNativePort, requestId: string): ExtensionToHost[] {
  return port.posted.filter((m) => (m as { requestId?: string }).requestId === requestId) as ExtensionToHost[];
}

/** Wait for the worker's one answer to `requestId`. */
export async function answerTo(port: FakeNativePort, requestId: string): Promise<ExtensionToHost> {
  await waitFor(() => expect(answersTo(port, requestId)).toHaveLength(1));
  return answersTo(port, requestId)[0] as ExtensionToHost;
}

export const PAGES = {
  approval: "src/approval/approval.html",
  pairing: "src/pairing/pairing.html",
  popup: "src/popup/popup.html",
  team: "src/team/team.html",
  offscreen: "src/offscreen/offscreen.html",
} as const;

/** A message from one of the extension's pages, in window `windowId`; resolves with the worker's answer. */
export function fromPage(profile: Profile, page: keyof typeof PAGES, message: unknown, windowId?: number): Promise<unknown> {
  const { runtime } = profile.browser;
  return runtime.sendFromPage(message, runtime.pageSender(PAGES[page], windowId));
}
