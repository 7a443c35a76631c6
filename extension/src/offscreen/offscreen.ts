import { HitlError } from "@hitl/verifier/protocol";
import { MemoryKey } from "../lib/memory-key.js";
import { type OffscreenResponse, parseOffscreenRequest } from "../lib/offscreen-messages.js";

/*
 * Chromium's offscreen document: holds the session key in its JS heap. Chromium stops an idle
 * service worker, but not this document, so the key outlives worker restarts; it ends when the
 * browser quits or the extension is reloaded, and was never written anywhere.
 *
 * It answers the service worker only. Extension pages (approval, pairing, popup) also hear
 * runtime messages; a page, even one running injected script, must go through the worker's
 * checks and cannot ask for a signature here.
 */
interface MessageSender {
  id?: string;
  url?: string;
  tab?: unknown;
  documentId?: string;
}
declare const chrome: {
  runtime: {
    id: string;
    getURL(path: string): string;
    onMessage: {
      addListener(
        listener: (message: unknown, sender: MessageSender, sendResponse: (response: OffscreenResponse) => void) => boolean,
      ): void;
    };
  };
};

/*
 * The service worker's script as the browser names it: crxjs's loader (manifest
 * background.service_worker). An offscreen document cannot read the manifest (runtime messaging
 * is all it has), so the name is fixed here; a build that renamed it would make every session-key
 * request fail closed, which e2e/key-at-rest.test.ts would show.
 */
const WORKER_SCRIPT = "service-worker-loader.js";

const key = new MemoryKey();
const workerUrl = chrome.runtime.getURL(WORKER_SCRIPT);

function fromWorker(sender: MessageSender): boolean {
  return sender.id === chrome.runtime.id && sender.url === workerUrl && sender.tab === undefined && sender.documentId === undefined;
}

async function answer(request: NonNullable<ReturnType<typeof parseOffscreenRequest>>): Promise<OffscreenResponse> {
  switch (request.op) {
    case "info": {
      const info = key.info();
      return info === undefined ? { ok: true } : { ok: true, info };
    }
    case "create":
      return { ok: true, info: await key.create() };
    case "sign":
      return { ok: true, sig: await key.sign(request.bytes) };
  }
}

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const request = parseOffscreenRequest(message);
  if (request === undefined) return false; // not for us: the worker answers page messages
  if (!fromWorker(sender)) {
    sendResponse({ ok: false, error: { code: "ERR_PROTOCOL", message: "Only the extension's service worker may use the session key." } });
    return false;
  }
  answer(request).then(sendResponse, (error: unknown) => {
    const wire =
      error instanceof HitlError
        ? error.toJSON()
        : {
            code: "ERR_SIGNING_FAILED" as const,
            message: `The session key could not be used (${error instanceof Error ? error.name : "error"}).`,
          };
    sendResponse({ ok: false, error: wire });
  });
  return true;
});
