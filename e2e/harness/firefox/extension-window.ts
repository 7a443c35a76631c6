import { writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ARTIFACTS_DIR } from "../paths.js";
import { type BidiConnection, BidiError } from "./bidi.js";

/** One approval or pairing window the extension opened: a top-level BiDi browsing context. */
export interface ExtensionWindow {
  readonly context: string;
  readonly url: string;
}

interface TreeContext {
  context: string;
  url: string;
  children?: TreeContext[] | null;
}

export async function topLevelContexts(bidi: BidiConnection): Promise<TreeContext[]> {
  const tree = await bidi.command<{ contexts: TreeContext[] }>("browsingContext.getTree", { maxDepth: 0 });
  return tree.contexts;
}

/**
 * Run `fn` (a function's source, taking string arguments, returning a string) in the window's
 * page. Strings keep the BiDi remote-value decoding trivial; callers JSON-encode anything richer.
 */
export async function callInWindow(bidi: BidiConnection, window: ExtensionWindow, fn: string, ...args: string[]): Promise<string> {
  const answer = await bidi.command<{ type: string; result?: { type: string; value?: unknown }; exceptionDetails?: { text?: string } }>(
    "script.callFunction",
    {
      functionDeclaration: fn,
      arguments: args.map((value) => ({ type: "string", value })),
      target: { context: window.context },
      awaitPromise: true,
    },
  );
  if (answer.type !== "success") throw new Error(`Script failed in ${window.url}: ${answer.exceptionDetails?.text ?? "unknown exception"}`);
  if (answer.result?.type !== "string") throw new Error(`Script in ${window.url} returned ${JSON.stringify(answer.result)}, not a string.`);
  return answer.result.value as string;
}

/** Poll `fn` until it returns something other than "" (a fresh window may not have a realm yet). */
export async function waitInWindow(
  bidi: BidiConnection,
  window: ExtensionWindow,
  fn: string,
  what: string,
  timeoutMs: number,
  ...args: string[]
) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const value = await callInWindow(bidi, window, fn, ...args);
      if (value !== "") return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not happen in ${window.url} within ${timeoutMs} ms${last === "" ? "" : `; last error: ${last}`}`);
}

/** The page's visible text of the first element matching `selector` ("" when absent). */
export function textOf(bidi: BidiConnection, window: ExtensionWindow, selector: string): Promise<string> {
  return callInWindow(bidi, window, "(selector) => document.querySelector(selector)?.textContent ?? ''", selector);
}

// Finds the one enabled button whose accessible name (aria-label, else its text) is `name`, and
// returns its centre in viewport coordinates, so the click below is a real pointer event.
const LOCATE_BUTTON = `(name) => {
  const named = [...document.querySelectorAll("button, [role=button]")].filter(
    (b) => (b.getAttribute("aria-label") ?? b.textContent ?? "").trim() === name);
  if (named.length !== 1 || named[0].disabled) return "";
  named[0].scrollIntoView({ block: "center" });
  const r = named[0].getBoundingClientRect();
  return JSON.stringify({ x: Math.round(r.left + r.width / 2), y: Math.round(r.top + r.height / 2) });
}`;

/**
 * Click a button by its accessible name with a real (trusted) mouse click, once it is enabled.
 * A decision closes its window, which can overtake the end of the pointer action: an error is
 * tolerated only when the window is indeed gone (the caller asserts what the click caused).
 */
export async function clickInWindow(bidi: BidiConnection, window: ExtensionWindow, name: string, timeoutMs = 5_000): Promise<void> {
  const at = JSON.parse(await waitInWindow(bidi, window, LOCATE_BUTTON, `An enabled "${name}" button`, timeoutMs, name)) as {
    x: number;
    y: number;
  };
  try {
    await bidi.command("input.performActions", {
      context: window.context,
      actions: [
        {
          type: "pointer",
          id: "mouse",
          parameters: { pointerType: "mouse" },
          actions: [
            { type: "pointerMove", x: at.x, y: at.y, origin: "viewport" },
            { type: "pointerDown", button: 0 },
            { type: "pointerUp", button: 0 },
          ],
        },
      ],
    });
  } catch (error) {
    const gone = !(await topLevelContexts(bidi)).some((c) => c.context === window.context);
    if (!(gone && error instanceof BidiError)) throw error;
  }
}

export async function waitForWindowClosed(bidi: BidiConnection, window: ExtensionWindow, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await topLevelContexts(bidi)).some((c) => c.context === window.context)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${window.url} was still open after ${timeoutMs} ms.`);
}

/** A PNG of the window's viewport under e2e/.artifacts/. */
export async function screenshotWindow(bidi: BidiConnection, window: ExtensionWindow, name: string): Promise<string> {
  const shot = await bidi.command<{ data: string }>("browsingContext.captureScreenshot", { context: window.context });
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  writeFileSync(path, Buffer.from(shot.data, "base64"));
  return path;
}
