export { BidiConnection, BidiError } from "./bidi.js";
export {
  callInWindow,
  clickInWindow,
  type ExtensionWindow,
  screenshotWindow,
  textOf,
  waitForWindowClosed,
  waitInWindow,
} from "./extension-window.js";
export { FIREFOX, FIREFOX_EXTENSION_DIR, type RunningFirefox, startFirefox } from "./firefox-process.js";
export {
  FIREFOX_EXTENSION_ID,
  type FirefoxSession,
  type FirefoxSessionOptions,
  type FirefoxWindowKind,
  launchFirefoxSession,
  sharedFirefoxSession,
} from "./firefox-session.js";
export { confirmationCodeInWindow, pairFirefox } from "./pair-firefox.js";
