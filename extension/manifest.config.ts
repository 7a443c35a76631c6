import extensionId from "./extension-id.json" with { type: "json" };
import pkg from "./package.json" with { type: "json" };

export type Target = "chromium" | "firefox";

/*
 * One manifest description, two browsers. Chromium runs the background as an MV3 service worker
 * and derives the stable development id from `key`; Firefox MV3 runs `background.scripts` (an
 * event page) and takes its id from `browser_specific_settings`. crxjs rewrites `background`
 * for the target it builds, so both start from the same entry file.
 */
export function buildManifest(target: Target) {
  const common = {
    manifest_version: 3,
    name: "hitl approver",
    short_name: "hitl",
    version: pkg.version,
    description: "Shows what an AI agent is about to do and signs your Approve or Deny with a key that never leaves this browser.",
    // identity: launchWebAuthFlow for the team sign-in. Host access: loopback (a local team
    // setup, the tests) granted at install; an https Keycloak or hitl server is asked for when the
    // human saves its address, so the browser itself shows the host being added.
    permissions: ["nativeMessaging", "storage", "identity"],
    host_permissions: ["http://127.0.0.1/*", "http://localhost/*"],
    optional_host_permissions: ["https://*/*"],
    icons: { "16": "icons/icon-16.png", "32": "icons/icon-32.png", "48": "icons/icon-48.png", "128": "icons/icon-128.png" },
    action: {
      default_title: "hitl approver",
      default_popup: "src/popup/popup.html",
      default_icon: { "16": "icons/icon-16.png", "32": "icons/icon-32.png" },
    },
  };
  if (target === "firefox") {
    return {
      ...common,
      background: { scripts: ["src/background/index.ts"], type: "module" as const },
      browser_specific_settings: {
        gecko: {
          id: extensionId.firefoxId,
          // Ed25519 in WebCrypto arrived in Firefox 129.
          strict_min_version: "129.0",
          // Firefox's built-in data consent (required by addons.mozilla.org for new add-ons): the
          // extension sends nothing anywhere but to the local signing host. Firefox before 139
          // ignores the key with a warning.
          data_collection_permissions: { required: ["none" as const] },
        },
      },
    };
  }
  return {
    ...common,
    key: extensionId.manifestKey,
    // offscreen: the document that holds a session key in memory (background/session-key.ts).
    permissions: [...common.permissions, "offscreen"],
    // Ed25519 in WebCrypto is enabled by default from Chrome 137.
    minimum_chrome_version: "137",
    background: { service_worker: "src/background/index.ts", type: "module" as const },
  };
}
