import { describe, expect, it } from "vitest";
import packageJson from "../package.json" with { type: "json" };
import * as root from "../src/index.js";
import * as protocol from "../src/protocol/index.js";
import * as kit from "../src/testing/index.js";

/*
 * Each entry is its real API. The root entry: verification, key directories, nonce stores and the
 * protocol's vocabulary (documents, limits, errors). The protocol module's parsers, JCS and
 * character rules come from "@hitl/verifier/protocol"; the test kit only from "@hitl/verifier/testing".
 */
describe("@hitl/verifier entries", () => {
  it("the root entry re-exports no parser, JCS or character-rule internals of the protocol module", () => {
    const internals = Object.keys(protocol).filter((name) =>
      /^(parse|canonical|isWellFormed|utf8|findDuplicate|decodeUtf8|markText|markedPlainText|signingInput|keyIdInput|hasVisible|isVisible|isInvisible|describeCodePoint|forbiddenIn|formatCodePoint|INVISIBLE_|CHARACTER_TABLES)/.test(
        name,
      ),
    );
    expect(internals.length).toBeGreaterThan(20);
    expect(internals.filter((name) => name in root)).toEqual([]);
  });

  it("the test kit is an entry of its own, not part of the root entry", () => {
    expect(packageJson.exports["./testing"]).toEqual({ types: "./dist/testing/index.d.ts", default: "./dist/testing/index.js" });
    expect(Object.keys(kit).filter((name) => name in root)).toEqual([]);
  });
});
