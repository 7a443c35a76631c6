import { NATIVE_HOST_NAME } from "@hitl/verifier/protocol";
import { type BrowserName, isChromiumFamily } from "./locations.js";

export interface HostManifest {
  name: string;
  description: string;
  path: string;
  type: "stdio";
  allowed_origins?: string[];
  allowed_extensions?: string[];
}

/** Chromium allows callers by origin; Firefox by add-on id (and rejects allowed_origins). */
export function buildManifest(browser: BrowserName, launcher: string, ids: { extensionId: string; firefoxId: string }): HostManifest {
  const base = {
    name: NATIVE_HOST_NAME,
    description: "hitl signing host: relays approval requests from 127.0.0.1 to the hitl extension",
    path: launcher,
    type: "stdio" as const,
  };
  return isChromiumFamily(browser)
    ? { ...base, allowed_origins: [`chrome-extension://${ids.extensionId}/`] }
    : { ...base, allowed_extensions: [ids.firefoxId] };
}

/** The entry that must be present for our extension to be allowed, as shown to the user. */
export function allowedCaller(browser: BrowserName, ids: { extensionId: string; firefoxId: string }): string {
  return isChromiumFamily(browser) ? `chrome-extension://${ids.extensionId}/` : ids.firefoxId;
}
