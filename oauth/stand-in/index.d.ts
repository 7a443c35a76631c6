/** A test user added on top of the realm export's users. */
export interface StandInUserSpec {
  username: string;
  password?: string;
  /** Default true. */
  enabled?: boolean;
  /** Realm roles besides default-roles-hitl, e.g. ["hitl-approver"]. */
  realmRoles?: string[];
  /** User attributes, e.g. { hitl_keys: ["v1...."] }. */
  attributes?: Record<string, string[]>;
  email?: string;
  firstName?: string;
  lastName?: string;
  /** Default: a random UUID, as Keycloak assigns. */
  id?: string;
}

export interface StandInUser {
  id: string;
  username: string;
  enabled: boolean;
  realmRoles: string[];
  attributes: Record<string, string[]>;
}

export interface KeycloakStandIn {
  /** Base URL, like Keycloak's (http://127.0.0.1:PORT). */
  url: string;
  /** `${url}/realms/hitl`. */
  issuer: string;
  realm: string;
  /** The `hitl-server` client's secret (the realm's ${HITL_SERVER_CLIENT_SECRET}). */
  serverClientSecret: string;
  /** The `hitl-verifier` client's secret (the realm's ${HITL_VERIFIER_CLIENT_SECRET}). */
  verifierClientSecret: string;
  adminHelpers: {
    addUser(spec: StandInUserSpec): StandInUser;
    user(id: string): StandInUser | undefined;
    userByUsername(username: string): StandInUser | undefined;
    setEnabled(id: string, enabled: boolean): void;
    grantRealmRole(id: string, role: string): void;
    revokeRealmRole(id: string, role: string): void;
    setAttribute(id: string, name: string, values: string[]): void;
    setClientRoles(id: string, clientId: string, roles: string[]): void;
    adminRequestCount(): number;
    tokenRequestCount(): number;
    setAdminDelay(ms: number): void;
    setTokenDelay(ms: number): void;
    /** The service-account user of a confidential client (default hitl-server). */
    serviceAccount(clientId?: string): StandInUser;
  };
  stop(): Promise<void>;
}

export interface StandInOptions {
  /** Default 0 (a free port). */
  port?: number;
  users?: StandInUserSpec[];
  /** Default: random. */
  serverClientSecret?: string;
  /** Default: random. */
  verifierClientSecret?: string;
}

export function startKeycloakStandIn(options?: StandInOptions): Promise<KeycloakStandIn>;
