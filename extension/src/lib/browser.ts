import browser from "webextension-polyfill";

/** One `browser` namespace for Chromium and Firefox (promises everywhere). */
export default browser;

/** Which build this is; set by `vite build --mode chromium|firefox`. */
export const BROWSER_FAMILY: "chromium" | "firefox" = import.meta.env.MODE === "firefox" ? "firefox" : "chromium";
