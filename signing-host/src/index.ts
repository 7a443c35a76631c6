/*
 * @hitl/signing-host: the native-messaging host (framing, extension port, HTTP server, life
 * cycle). The installer for browser manifests is its own entry, @hitl/signing-host/install.
 * Importing this module does not load fastify; createSigningServer / runSigningHost load it when called.
 */
export { DEFAULT_EXTENSION_ID, FIREFOX_EXTENSION_ID } from "./extension-id.js";
export type { RunningSigningHost, SigningHostOptions } from "./host.js";
export { runSigningHost } from "./host.js";
export { HOST_MAIN_PATH } from "./host-main-path.js";
export { statusForCode } from "./http/lib/error-reply.js";
export type { PendingLimits } from "./http/lib/pending-requests.js";
export { DEFAULT_PENDING_LIMITS } from "./http/lib/pending-requests.js";
export type { SigningServer, SigningServerOptions } from "./http/server.js";
export { createSigningServer, LISTEN_ADDRESS } from "./http/server.js";
export { portFromEnv } from "./lib/launch-args.js";
export type { HostLogger, LogFields } from "./lib/log.js";
export { openHostLog, silentLogger } from "./lib/log.js";
export type { CallOptions, ExtensionInfo, ExtensionPortOptions, ExtensionPortState } from "./native/extension-port.js";
export { DEFAULT_HANDSHAKE_TIMEOUT_MS, ExtensionPort } from "./native/extension-port.js";
export type { NativeMessageReaderOptions, NativeReaderState } from "./native/framing.js";
export { encodeNativeMessage, NativeMessageReader, NativeMessageWriter } from "./native/framing.js";
export { HOST_VERSION } from "./version.js";
