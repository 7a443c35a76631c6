import type { RawScript } from "./raw.js";

/**
 * The words of a command line made only of [A-Za-z0-9_./=:@%+,-] and single spaces: there
 * nothing is quoted, expanded or special, so the words ARE the tokens and there is exactly one
 * simple command (or none: assignments only). Anything else, and the few words bash gives a
 * meaning of their own in command position (if, for, export, …), is left to tree-sitter
 * (undefined). test/policy-fast-lexer.test.ts proves with fast-check that both give the same
 * result on every string of the subset.
 */
const SUBSET = /^[A-Za-z0-9_./=:@%+,-]+(?: [A-Za-z0-9_./=:@%+,-]+)*$/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*\+?=/;
const COMMAND_NAME = /^[A-Za-z0-9_./][A-Za-z0-9_./+,-]*$/;
const SPECIAL_IN_COMMAND_POSITION = new Set([
  "if",
  "then",
  "else",
  "elif",
  "fi",
  "case",
  "esac",
  "for",
  "select",
  "while",
  "until",
  "do",
  "done",
  "in",
  "function",
  "time",
  "coproc",
  "declare",
  "typeset",
  "export",
  "readonly",
  "local",
  "unset",
  "unsetenv",
]);

export function fastLex(text: string): RawScript | undefined {
  if (text.length > 4096 || !SUBSET.test(text)) return undefined;
  const tokens = text.split(" ");
  // tree-sitter-bash takes a lone "==" for a test operator even in a plain command ("a == b"),
  // where bash sees a word; such lines are left to it, so both keep answering alike.
  if (tokens.includes("==")) return undefined;
  let first = 0;
  for (; first < tokens.length; first++) {
    const token = tokens[first]!;
    // Where bash and tree-sitter-bash disagree on what is an assignment ("_=x": bash yes, the
    // grammar no; "1a=2": the reverse), the line is left to tree-sitter and analyze.ts.
    if (/^(?:_|[0-9][A-Za-z0-9_]*)\+?=/.test(token)) return undefined;
    if (!ASSIGNMENT.test(token)) break;
  }
  if (first === tokens.length) return { commands: [], redirectWrites: [], unreadable: [] };
  const name = tokens[first]!;
  if (SPECIAL_IN_COMMAND_POSITION.has(name)) return undefined;
  // tree-sitter-bash misreads some command names bash takes as plain words ("a@", "a%b", "b:c"
  // after an assignment, "-"); those lines are left to it, so both keep answering alike
  // (test/policy-fast-lexer.test.ts). Where it misreads, it reports a parse error (→ ask) or
  // drops arguments of a program that does not exist; it never loses a program that runs.
  if (!COMMAND_NAME.test(name)) return undefined;
  const words = tokens.slice(first).map((word) => ({ value: word, text: word, glob: false }));
  return { commands: [{ text, words, stdin: undefined, chained: true, redirectWrites: [] }], redirectWrites: [], unreadable: [] };
}
