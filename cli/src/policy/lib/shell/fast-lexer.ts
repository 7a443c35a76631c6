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
  let first = 0;
  while (first < tokens.length && ASSIGNMENT.test(tokens[first]!)) first++;
  if (first === tokens.length) return { commands: [], redirectWrites: [], unreadable: [] };
  if (SPECIAL_IN_COMMAND_POSITION.has(tokens[first]!)) return undefined;
  const words = tokens.slice(first).map((word) => ({ value: word, text: word, glob: false }));
  return { commands: [{ text, words, stdin: undefined }], redirectWrites: [], unreadable: [] };
}
