/** @hitl/server: the hitl server of team mode (docs/protocol.md §3.8, §9). */
export { isLoopbackHost, readServerConfig, type ServerConfig, type ServerFlags } from "./config.js";
export { type AppDeps, createApp } from "./create-app.js";
export { type AccessTokenVerifier, accessTokenVerifier, type TokenClaims } from "./lib/access-token.js";
export { type KeycloakAccounts, openKeycloakAccounts } from "./lib/keycloak-accounts.js";
export { type RunningServer, SERVER_VERSION, startServer } from "./start-server.js";
