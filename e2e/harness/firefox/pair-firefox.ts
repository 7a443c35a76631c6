import type { CliResult } from "../cli.js";
import { clickInWindow, type ExtensionWindow, textOf, waitForWindowClosed, waitInWindow } from "./extension-window.js";
import type { FirefoxSession } from "./firefox-session.js";

// The confirmation code once the window shows it (its section is no longer hidden), else "".
const SHOWN_CONFIRMATION = `() => {
  const code = document.getElementById("confirmation-code");
  return code !== null && code.closest("[hidden]") === null ? (code.textContent ?? "").trim() : "";
}`;

/** The code the pairing window shows after the click on Pair ("KPT-WRM"), once visible. */
export async function confirmationCodeInWindow(session: FirefoxSession, window: ExtensionWindow): Promise<string> {
  const code = await waitInWindow(session.bidi, window, SHOWN_CONFIRMATION, "The confirmation code", 10_000);
  if (!/^[BCDFGHJKLMNPQRSTVWXZ]{3}-[BCDFGHJKLMNPQRSTVWXZ]{3}$/.test(code))
    throw new Error(`The pairing window shows "${code}", not a code.`);
  return code;
}

/**
 * `hitl pair` in Firefox as a human does it: the window must show the terminal's code and the
 * proposed name; click Pair; read the confirmation code the window then shows and type it into
 * the CLI's stdin; once the CLI is done, Close the window.
 */
export async function pairFirefox(session: FirefoxSession, name: string): Promise<{ result: CliResult; confirmationCode: string }> {
  const run = session.hitl(["pair", "--name", name, "--json", "--timeout", "60"], { stdin: "pipe" });
  const window = await session.nextWindow("pairing", { run });
  const shown = (await textOf(session.bidi, window, "#code")).trim();
  if (!run.output().includes(`Pairing code: ${shown}`)) throw new Error(`The window shows ${shown}; the terminal said: ${run.output()}`);
  if (!(await textOf(session.bidi, window, "body")).includes(name)) throw new Error(`The pairing window does not name "${name}".`);
  await clickInWindow(session.bidi, window, "Pair");
  const confirmationCode = await confirmationCodeInWindow(session, window);
  run.type(`${confirmationCode}\n`);
  const result = await run.done;
  await clickInWindow(session.bidi, window, "Close");
  await waitForWindowClosed(session.bidi, window);
  return { result, confirmationCode };
}
