/**
 * The development identity of the hitl extension (extension/extension-id.json, checked by a
 * test): Chromium derives the id from the manifest `key`; Firefox uses the gecko id.
 */
export const DEFAULT_EXTENSION_ID = "gdikjmbmddjjemjnooacmbhlponkepgb";
export const FIREFOX_EXTENSION_ID = "approver@hitl.dev";
