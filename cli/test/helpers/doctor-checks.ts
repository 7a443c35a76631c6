/** The checks `hitl doctor` runs in local mode, in the order it reports them (also MCP's approval_status). */
export const LOCAL_DOCTOR_CHECKS = [
  "mode",
  "host manifest",
  "host secret",
  "host reachable",
  "extension connected",
  "key present",
  "approver paired",
  "replay store",
];
