import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fastLex } from "../src/policy/lib/shell/fast-lexer.js";
import type { RawScript } from "../src/policy/lib/shell/raw.js";
import { parseWithTreeSitter } from "../src/policy/lib/shell/tree-sitter.js";

/*
 * The fast lexer answers alone for command lines made of [A-Za-z0-9_./=:@%+,-] and single
 * spaces. fast-check proves it reads every such string exactly as tree-sitter-bash does: the
 * same simple commands with the same words, no redirections, no parse problems. Where it
 * declines (a word bash treats specially), tree-sitter reads the line.
 */
const SUBSET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:@%+,-".split("");
const SPECIAL = [
  "if",
  "then",
  "fi",
  "for",
  "in",
  "do",
  "done",
  "case",
  "esac",
  "while",
  "until",
  "time",
  "export",
  "declare",
  "local",
  "unset",
  "function",
  "select",
  "coproc",
  "elif",
  "else",
  "readonly",
  "typeset",
];

const word = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom(...SUBSET_CHARS), minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,4}$/),
        fc.constantFrom("=", "+="),
        fc.string({ unit: fc.constantFrom(...SUBSET_CHARS), maxLength: 5 }),
      )
      .map((parts) => parts.join("")),
  },
  { weight: 1, arbitrary: fc.constantFrom("-", "--", "=", "+", "%", ":", ".", "..", "-rf", "a=b=c", "1=2", "_=x", "%1", "@", ",", "==") },
);
const line = fc.array(word, { minLength: 1, maxLength: 6 }).map((words) => words.join(" "));

function shape(script: RawScript): unknown {
  return {
    commands: script.commands.map((command) => command.words.map((w) => w.value)),
    redirects: script.redirectWrites.length,
    unreadable: script.unreadable.length,
  };
}

describe("the fast lexer", () => {
  it("reads every string of its subset as tree-sitter-bash does (fast-check)", async () => {
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(line, async (text) => {
        const fast = fastLex(text);
        if (fast === undefined) return;
        answered++;
        expect(shape(fast)).toEqual(shape(await parseWithTreeSitter(text, "/home/agent")));
      }),
      { numRuns: 3000 },
    );
    // It must really answer for most of the subset, or the proof proves little.
    expect(answered).toBeGreaterThan(1500);
  });

  it("declines anything outside the subset", () => {
    for (const text of [
      "ls  -la",
      " ls",
      "ls ",
      "ls\t-la",
      "ls;rm",
      "echo $HOME",
      "ls *",
      "cat 'a'",
      "a\nb",
      "echo ~",
      "ls > x",
      "",
      "ls -la\n",
      "A == A",
    ]) {
      expect(fastLex(text)).toBeUndefined();
    }
  });

  it("answers the common commands", () => {
    expect(fastLex("git status")?.commands.map((c) => c.words.map((w) => w.value))).toEqual([["git", "status"]]);
    expect(fastLex("FOO=1 BAR+=2 make -j4 all")?.commands.map((c) => c.words.map((w) => w.value))).toEqual([["make", "-j4", "all"]]);
    expect(fastLex("A=1 B=2")?.commands).toEqual([]);
    expect(fastLex("if true")).toBeUndefined();
  });
});
