import { describe } from "vitest";
import { describeKeycloakDirectory } from "./helpers/keycloak-directory-suite.js";
import { realKeycloakFixture } from "./helpers/keycloak-fixture.js";

/*
 * The SAME directory cases as keycloak-directory.test.ts, against a REAL Keycloak 26 that imported
 * oauth/realm-hitl.json, so anyone with Docker can check the stand-in against the real thing:
 *
 *   HITL_KEYCLOAK_URL=http://127.0.0.1:8080 HITL_KEYCLOAK_ADMIN_USER=admin \
 *   HITL_KEYCLOAK_ADMIN_PASSWORD=... HITL_KEYCLOAK_VERIFIER_SECRET=... \
 *   pnpm exec vitest run verifier/test/keycloak-contract.test.ts
 *
 * Without HITL_KEYCLOAK_URL the suite is reported as skipped (the one skip the project allows:
 * no Keycloak can run on the development and CI machines).
 */
const url = process.env.HITL_KEYCLOAK_URL;
const title = url
  ? `KeycloakKeyDirectory contract suite against the real Keycloak at ${url}`
  : "KeycloakKeyDirectory contract suite against a real Keycloak: SKIPPED, set HITL_KEYCLOAK_URL, HITL_KEYCLOAK_ADMIN_USER, HITL_KEYCLOAK_ADMIN_PASSWORD, HITL_KEYCLOAK_VERIFIER_SECRET";

describe.skipIf(!url)(title, () => {
  describeKeycloakDirectory(() => realKeycloakFixture(process.env));
});
