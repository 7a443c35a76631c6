import { HitlError } from "@hitl/verifier/protocol";
import { DEFAULT_EXTENSION_ID, FIREFOX_EXTENSION_ID } from "../../extension-id.js";

/** Chromium ids are 32 letters a-p (a SHA-256 prefix in base 16, written with a..p). */
const CHROMIUM_ID = /^[a-p]{32}$/;
/** Firefox add-on ids: an email-like id or a braced UUID. */
const FIREFOX_ID =
  /^(?:[A-Za-z0-9._+-]{1,80}@[A-Za-z0-9.-]{1,80}|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\})$/;

export function normalizeIds(options: { extensionId?: string | undefined; firefoxId?: string | undefined }): {
  extensionId: string;
  firefoxId: string;
} {
  const extensionId = options.extensionId ?? DEFAULT_EXTENSION_ID;
  const firefoxId = options.firefoxId ?? FIREFOX_EXTENSION_ID;
  if (!CHROMIUM_ID.test(extensionId)) {
    throw new HitlError(
      "ERR_USAGE",
      `${JSON.stringify(extensionId.slice(0, 64))} is not a Chromium extension id: it must be 32 letters a-p, as shown on chrome://extensions with developer mode on.`,
    );
  }
  if (!FIREFOX_ID.test(firefoxId)) {
    throw new HitlError("ERR_USAGE", `${JSON.stringify(firefoxId.slice(0, 64))} is not a Firefox add-on id (name@domain or {uuid}).`);
  }
  return { extensionId, firefoxId };
}
