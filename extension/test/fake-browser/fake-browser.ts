import type { Action, Events, Manifest, Runtime, Storage, Windows } from "webextension-polyfill";

/*
 * An in-memory `browser` for the worker's logic under Node: the parts of the WebExtension API the
 * background code calls, each typed against the real API (webextension-polyfill's types), so a
 * call the fake does not model fails to compile instead of passing silently. Behaviour follows
 * the browsers where it matters to the worker: storage clones values, a removed window fires
 * onRemoved, a port closed by the extension does not hear its own disconnect, posting to a
 * closed port throws, a native port's failure reason is on `port.error` (Firefox) or
 * `chrome.runtime.lastError` during onDisconnect (Chromium).
 */

// biome-ignore lint/suspicious/noExplicitAny: the API's own event type is generic over any listener.
type Listener = (...args: any[]) => any;

/** An event source: the browser side calls `emit`, which returns what each listener returned. */
export class FakeEvent<T extends Listener> implements Events.Event<T> {
  readonly #listeners: T[] = [];

  addListener(callback: T): void {
    if (!this.#listeners.includes(callback)) this.#listeners.push(callback);
  }
  removeListener(callback: T): void {
    const at = this.#listeners.indexOf(callback);
    if (at >= 0) this.#listeners.splice(at, 1);
  }
  hasListener(callback: T): boolean {
    return this.#listeners.includes(callback);
  }
  get listenerCount(): number {
    return this.#listeners.length;
  }
  /** The context that registered the listeners went away (a stopped service worker). */
  clear(): void {
    this.#listeners.length = 0;
  }
  emit(...args: Parameters<T>): ReturnType<T>[] {
    return [...this.#listeners].map((listener) => listener(...args));
  }
}

type StorageAreaApi = Pick<Storage.StorageArea, "get" | "set" | "remove">;

/** storage.local / storage.session: values are cloned on the way in and out, as the browser does. */
export class FakeStorageArea implements StorageAreaApi {
  readonly data = new Map<string, unknown>();
  /** The next call of that kind rejects with this error (a quota or a shut-down storage). */
  readonly failNext: { get?: Error; set?: Error } = {};

  async get(keys?: null | string | string[] | Record<string, unknown>): Promise<Record<string, unknown>> {
    const failure = this.failNext.get;
    if (failure !== undefined) {
      delete this.failNext.get;
      throw failure;
    }
    const out: Record<string, unknown> = {};
    const take = (key: string, fallback?: unknown) => {
      if (this.data.has(key)) out[key] = structuredClone(this.data.get(key));
      else if (fallback !== undefined) out[key] = fallback;
    };
    if (keys === null || keys === undefined) for (const key of this.data.keys()) take(key);
    else if (typeof keys === "string") take(keys);
    else if (Array.isArray(keys)) for (const key of keys) take(key);
    else for (const [key, fallback] of Object.entries(keys)) take(key, fallback);
    return out;
  }

  async set(items: Record<string, unknown>): Promise<void> {
    const failure = this.failNext.set;
    if (failure !== undefined) {
      delete this.failNext.set;
      throw failure;
    }
    for (const [key, value] of Object.entries(items)) this.data.set(key, structuredClone(value));
  }

  async remove(keys: string | string[]): Promise<void> {
    for (const key of typeof keys === "string" ? [keys] : keys) this.data.delete(key);
  }

  /** Put a value in storage as-is (corrupt or from an older version), bypassing the API. */
  plant(key: string, value: unknown): void {
    this.data.set(key, value);
  }
}

/** What a native-messaging port's failure looks like in each browser. */
export type DisconnectStyle = "firefox" | "chromium";

/**
 * One native-messaging connection. The extension's side is the Runtime.Port; the test plays the
 * host through `hostSend` / `hostClose` and reads what the extension posted in `posted`.
 */
export class FakeNativePort implements Runtime.Port {
  readonly onMessage = new FakeEvent<(message: unknown, port: Runtime.Port) => void>();
  readonly onDisconnect = new FakeEvent<(port: Runtime.Port) => void>();
  error?: Runtime.PortErrorType;
  /** Messages the extension posted, as the host would read them (JSON). */
  readonly posted: unknown[] = [];
  /** Who closed it: the extension (disconnect()) or the host (hostClose()). */
  closedBy: "extension" | "host" | undefined;

  constructor(readonly name: string) {}

  postMessage(message: unknown): void {
    if (this.closedBy !== undefined) throw new Error("Attempting to use a disconnected port object");
    this.posted.push(JSON.parse(JSON.stringify(message)));
  }

  /** The extension closes the port: the host sees EOF; the extension's own onDisconnect does not fire. */
  disconnect(): void {
    this.closedBy ??= "extension";
  }

  /** The host writes one message to stdout. Throws once the port is closed: nobody reads it. */
  hostSend(message: unknown): void {
    if (this.closedBy !== undefined) throw new Error(`The port was closed by the ${this.closedBy}; the host cannot write to it.`);
    this.onMessage.emit(JSON.parse(JSON.stringify(message)), this);
  }

  /** The host exits (or never started): onDisconnect fires with the browser's reason, if any. */
  hostClose(reason?: string, style: DisconnectStyle = "firefox"): void {
    if (this.closedBy !== undefined) return;
    this.closedBy = "host";
    if (reason !== undefined && style === "firefox") this.error = { message: reason };
    const global = globalThis as { chrome?: { runtime?: { lastError?: { message: string } } } | undefined };
    const before = global.chrome;
    // Chromium sets runtime.lastError only while the onDisconnect listeners run.
    if (reason !== undefined && style === "chromium") global.chrome = { runtime: { lastError: { message: reason } } };
    try {
      this.onDisconnect.emit(this);
    } finally {
      if (style === "chromium") global.chrome = before;
    }
  }

  get open(): boolean {
    return this.closedBy === undefined;
  }
}

export interface FakeWindow {
  id: number;
  url: string;
  type: Windows.CreateType | undefined;
  width: number | undefined;
  height: number | undefined;
  focusCount: number;
}

type WindowsApi = Pick<Windows.Static, "create" | "remove" | "get" | "update" | "onRemoved">;

/** Windows the worker opens; `closeByUser` is the human clicking the window's close button. */
export class FakeWindows implements WindowsApi {
  readonly onRemoved = new FakeEvent<(windowId: number) => void>();
  readonly open = new Map<number, FakeWindow>();
  /** Every window ever created, in order. */
  readonly created: FakeWindow[] = [];
  /** The next create() rejects with this error. */
  failNextCreate: Error | undefined;
  #nextId = 1001;

  async create(createData: Windows.CreateCreateDataType = {}): Promise<Windows.Window> {
    if (this.failNextCreate !== undefined) {
      const failure = this.failNextCreate;
      this.failNextCreate = undefined;
      throw failure;
    }
    const url = typeof createData.url === "string" ? createData.url : (createData.url?.[0] ?? "about:blank");
    const window: FakeWindow = {
      id: this.#nextId++,
      url,
      type: createData.type,
      width: createData.width,
      height: createData.height,
      focusCount: createData.focused === true ? 1 : 0,
    };
    this.open.set(window.id, window);
    this.created.push(window);
    return this.#describe(window);
  }

  async get(windowId: number): Promise<Windows.Window> {
    return this.#describe(this.#find(windowId));
  }

  async update(windowId: number, updateInfo: Windows.UpdateUpdateInfoType): Promise<Windows.Window> {
    const window = this.#find(windowId);
    if (updateInfo.focused === true) window.focusCount++;
    return this.#describe(window);
  }

  async remove(windowId: number): Promise<void> {
    this.#find(windowId);
    this.#close(windowId);
  }

  /** The human closes the window. */
  closeByUser(windowId: number): void {
    this.#find(windowId);
    this.#close(windowId);
  }

  /** The open window whose URL carries `?request=<requestId>` (an approval or pairing window). */
  forRequest(requestId: string): FakeWindow | undefined {
    for (const window of this.open.values()) if (new URL(window.url).searchParams.get("request") === requestId) return window;
    return undefined;
  }

  #find(windowId: number): FakeWindow {
    const window = this.open.get(windowId);
    if (window === undefined) throw new Error(`No window with id: ${windowId}.`);
    return window;
  }

  #close(windowId: number): void {
    this.open.delete(windowId);
    // The browser reports the removal after the call returns.
    queueMicrotask(() => this.onRemoved.emit(windowId));
  }

  #describe(window: FakeWindow): Windows.Window {
    return { id: window.id, focused: window.focusCount > 0, incognito: false, alwaysOnTop: false };
  }
}

type RuntimeApi = Pick<Runtime.Static, "id" | "getURL" | "getManifest" | "connectNative" | "onMessage" | "onStartup">;

/** runtime: this extension's id and URLs, page messages, and native connections to the host. */
export class FakeRuntime implements RuntimeApi {
  readonly id = "hitltestextensionidaaaaaaaaaaaaa";
  readonly onMessage = new FakeEvent<(message: unknown, sender: Runtime.MessageSender) => Promise<unknown> | undefined>();
  readonly onStartup = new FakeEvent<() => void>();
  /** Every native port ever opened, in order; the last one is the live one. */
  readonly nativePorts: FakeNativePort[] = [];
  /** When set, connectNative throws this (Firefox with no host manifest throws synchronously). */
  connectNativeError: Error | undefined;
  /** Called with each new port, e.g. to let the host answer at once. */
  onNativeConnect: ((port: FakeNativePort) => void) | undefined;

  getURL(path: string): string {
    return `moz-extension://${this.id}/${path.replace(/^\//, "")}`;
  }

  getManifest(): Manifest.WebExtensionManifest {
    return { manifest_version: 3, name: "hitl", version: "0.1.0-test" };
  }

  connectNative(application: string): Runtime.Port {
    if (this.connectNativeError !== undefined) throw this.connectNativeError;
    const port = new FakeNativePort(application);
    this.nativePorts.push(port);
    this.onNativeConnect?.(port);
    return port;
  }

  /** The port the extension opened last. */
  get nativePort(): FakeNativePort {
    const port = this.nativePorts.at(-1);
    if (port === undefined) throw new Error("The extension has not opened a native port.");
    return port;
  }

  /** The sender the browser reports for one of this extension's pages in window `windowId`. */
  pageSender(path: string, windowId?: number, search = ""): Runtime.MessageSender {
    const sender: Runtime.MessageSender = { id: this.id, url: `${this.getURL(path)}${search}` };
    if (windowId !== undefined) sender.tab = { windowId, index: 0, highlighted: false, active: true, pinned: false, incognito: false };
    return sender;
  }

  /** A page sends a runtime message; resolves with the worker's answer (undefined: nobody answered). */
  async sendFromPage(message: unknown, sender: Runtime.MessageSender): Promise<unknown> {
    const answers = this.onMessage.emit(message, sender).filter((answer) => answer !== undefined);
    return answers.length === 0 ? undefined : await answers[0];
  }
}

type ActionApi = Pick<Action.Static, "setBadgeText" | "setBadgeBackgroundColor">;

export class FakeAction implements ActionApi {
  badgeText = "";
  badgeColor: Action.ColorValue | undefined;

  async setBadgeText(details: Action.SetBadgeTextDetailsType): Promise<void> {
    this.badgeText = details.text ?? "";
  }
  async setBadgeBackgroundColor(details: Action.SetBadgeBackgroundColorDetailsType): Promise<void> {
    this.badgeColor = details.color;
  }
}

/** The API surface the background code uses, each member typed by the real API. */
export interface FakeBrowserApi {
  runtime: FakeRuntime;
  storage: { local: FakeStorageArea; session: FakeStorageArea };
  windows: FakeWindows;
  action: FakeAction;
}

/** One browser profile: storage.local outlives worker restarts; storage.session outlives them too until the browser quits. */
export class FakeBrowser implements FakeBrowserApi {
  readonly runtime = new FakeRuntime();
  readonly storage = { local: new FakeStorageArea(), session: new FakeStorageArea() };
  readonly windows = new FakeWindows();
  readonly action = new FakeAction();

  /**
   * The browser stops the service worker: its listeners and its heap go, its native port closes
   * (the host sees EOF); storage, IndexedDB and open windows stay.
   */
  stopWorker(): void {
    this.runtime.onMessage.clear();
    this.runtime.onStartup.clear();
    this.windows.onRemoved.clear();
    for (const port of this.runtime.nativePorts) {
      port.onMessage.clear();
      port.onDisconnect.clear();
      port.disconnect();
    }
  }
}
