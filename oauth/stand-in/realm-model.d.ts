/** oauth/realm-hitl.json: the realm export Keycloak imports and the stand-in loads. */
export const REALM_FILE: URL;
