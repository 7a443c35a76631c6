/** Sent in host.hello and GET /health; kept equal to package.json by a test. */
export const HOST_VERSION = "0.1.0";
