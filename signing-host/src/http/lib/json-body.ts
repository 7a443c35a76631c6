import { decodeUtf8Strict, parseStrictJson } from "@hitl/verifier/protocol";
import type { FastifyInstance } from "fastify";

/**
 * Request bodies are read as the protocol reads JSON text (docs/protocol.md §1, "JSON text"):
 * strict UTF-8, no BOM, unique member names, number literals only in their canonical form. The
 * host thereby refuses exactly what a verifier would refuse, with the same codes, instead of
 * fastify's parser silently keeping the last of two duplicate names or turning `1.0` into `1`.
 *
 * Member names such as "__proto__" and "constructor" are ordinary names in hitl JSON (details
 * are any JSON value): JSON.parse makes them own data properties, and the protocol parsers copy
 * them as such, so no prototype is ever touched. fastify's proto-poisoning options belong to its
 * own parser, which is replaced here.
 */
export function useStrictJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => {
    try {
      done(null, parseStrictJson(decodeUtf8Strict(body as Buffer, "The request body"), "The request body"));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
