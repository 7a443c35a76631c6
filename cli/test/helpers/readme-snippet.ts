/*
 * The README's "Use it from your agent" snippets are run by tests, so the docs cannot drift from
 * the code. A snippet is the fenced block right after an HTML comment `<!-- snippet: NAME -->`.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const README = fileURLToPath(new URL("../../../README.md", import.meta.url));

/** The body of the README snippet NAME (without its fence); throws when it is missing or duplicated. */
export function readmeSnippet(name: string): { language: string; code: string } {
  const text = readFileSync(README, "utf8");
  const marker = `<!-- snippet: ${name} -->`;
  const first = text.indexOf(marker);
  if (first === -1) throw new Error(`README.md has no snippet '${name}'`);
  if (text.indexOf(marker, first + marker.length) !== -1) throw new Error(`README.md has snippet '${name}' twice`);
  const fence = /^\s*```([\w-]*)\n([\s\S]*?)\n```/.exec(text.slice(first + marker.length));
  if (fence === null) throw new Error(`README.md snippet '${name}' is not followed by a fenced block`);
  return { language: fence[1] ?? "", code: fence[2] ?? "" };
}

/** Lines of code in a snippet, blank lines and comment-only lines excluded (the "ten lines" promise). */
export function snippetCodeLines(code: string): number {
  return code.split("\n").filter((line) => line.trim() !== "" && !/^\s*(\/\/|#)/.test(line)).length;
}
