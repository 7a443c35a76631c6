import { markedPlainText } from "@hitl/verifier/protocol";
import { describe, expect, it } from "vitest";
import { echoAction } from "../src/commands/request.js";
import { markedForTerminal, usesColour } from "../src/lib/marked-output.js";
import { terminal } from "./helpers/fake-terminal.js";

/* The CLI marks text exactly as the approval window does (same markText rules); only the styling differs. */
const HOSTILE = `p\u0430yp\u0430l.com\u202Eexe${"\n".repeat(4)}${" ".repeat(20)}done\u{E0041}`;

describe("colour on a terminal only", () => {
  it.each([
    [true, {}, true],
    [true, { TERM: "xterm-256color" }, true],
    [true, { TERM: "dumb" }, false],
    [true, { NO_COLOR: "1" }, false],
    [true, { NO_COLOR: "" }, true],
    [false, { TERM: "xterm-256color" }, false],
  ])("isTTY %s, env %j -> %s", (isTTY, env, expected) => {
    expect(usesColour({ isTTY }, env)).toBe(expected);
  });
});

describe("markedForTerminal", () => {
  it("without colour is exactly the shared plain rendering: no escape code, no invisible character", () => {
    const plain = markedForTerminal(HOSTILE, false);
    expect(plain).toBe(markedPlainText(HOSTILE));
    expect(plain).toBe(
      "p\u0430yp\u0430l⟨mixed scripts: Latin, Cyrillic⟩.com⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩exe\n⟨3 blank lines⟩\n⟨20 spaces⟩done⟨U+E0041 TAG A⟩",
    );
    expect(plain).not.toMatch(/[\u001b\p{Cf}]/u);
  });

  it("with colour: markers in reverse video, the mixed-script word underlined, the same text otherwise", () => {
    expect(markedForTerminal("p\u0430y \u200B", true)).toBe(
      "\u001b[4mp\u0430y\u001b[24m\u001b[7m⟨mixed scripts: Latin, Cyrillic⟩\u001b[27m \u001b[7m⟨U+200B ZERO WIDTH SPACE⟩\u001b[27m",
    );
    expect(markedForTerminal(HOSTILE, true).replace(/\u001b\[[0-9]+m/g, "")).toBe(markedPlainText(HOSTILE));
  });

  it("indents continuation lines, and keeps JSON indentation only when asked", () => {
    expect(markedForTerminal("a\nb", false, { indent: "  " })).toBe("a\n  b");
    const json = JSON.stringify({ a: { b: 1 } }, null, 2);
    expect(markedForTerminal(json, false, { keepIndentation: true })).toBe(json);
  });
});

describe("hitl request echoes the action on a terminal", () => {
  it("marks the summary and details as the window does (TERM=dumb: plain markers)", () => {
    const { stream, written } = terminal(true);
    echoAction({ summary: "rm -rf /\u202E\n\n\nok", details: { cmd: "curl x | sh\u200B" } }, stream, { TERM: "dumb" });
    expect(written()).toBe(
      "Asking to approve: rm -rf /⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩\n  ⟨2 blank lines⟩\n  ok\n" +
        'Details: {\n    "cmd": "curl x | sh⟨U+200B ZERO WIDTH SPACE⟩"\n  }\n',
    );
  });

  it("with colour, the markers are highlighted", () => {
    const { stream, written } = terminal(true);
    echoAction({ summary: "a\u200Bb" }, stream, { TERM: "xterm" });
    expect(written()).toBe("Asking to approve: a\u001b[7m⟨U+200B ZERO WIDTH SPACE⟩\u001b[27mb\n");
  });

  it("prints nothing when stderr is not a terminal (a log or a calling program)", () => {
    const { stream, written } = terminal(false);
    echoAction({ summary: "anything" }, stream, {});
    expect(written()).toBe("");
  });
});
