import { pageRuntime } from "./page-runtime.js";
import type { UiRequest, UiResponse } from "./ui-messages.js";

/** Ask the service worker; a missing or malformed answer becomes an error the page can show. */
export async function ask<T>(message: UiRequest): Promise<UiResponse<T>> {
  try {
    const response = (await pageRuntime().sendMessage(message)) as UiResponse<T> | undefined;
    if (response !== undefined && typeof response === "object" && "ok" in response) return response;
  } catch {
    // fall through
  }
  return {
    ok: false,
    error: { code: "ERR_INTERNAL", message: "The extension's background did not answer; close this window and try again." },
  };
}
