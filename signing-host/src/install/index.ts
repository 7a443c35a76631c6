/*
 * @hitl/signing-host/install: registers the signing host with the browsers (native-messaging
 * manifests and the launcher they name) and reports what is registered. Used by `hitl setup`
 * and `hitl doctor`; the host itself never loads it.
 */
export type { HostManifestReport, InspectOptions } from "./inspect-host-manifests.js";
export { inspectHostManifests } from "./inspect-host-manifests.js";
export type { InstallOptions, InstallResult, ManifestAction } from "./install-host-manifests.js";
export { installHostManifests } from "./install-host-manifests.js";
export { LAUNCHER_NAME, launcherPath } from "./lib/launcher.js";
export type { BrowserName, ManifestLocation } from "./lib/locations.js";
export { BROWSERS, isBrowserName, isChromiumFamily, manifestLocation } from "./lib/locations.js";
