import { type AnalysisContext, analyzeScript } from "./analyze.js";
import { fastLex } from "./fast-lexer.js";
import type { ShellPart } from "./part.js";
import type { RawScript } from "./raw.js";

/** A shell command line is at most this long; a longer one is asked, unread. */
export const MAX_COMMAND_LENGTH = 64 * 1024;

export interface ShellAnalysis {
  readonly parts: readonly ShellPart[];
  /** "fast" when every piece was read by the fast lexer, "tree-sitter" otherwise. */
  readonly parser: "fast" | "tree-sitter";
}

/** Every part of a command line, read with the fast lexer when it can and tree-sitter-bash otherwise. */
export async function analyzeShell(command: string, cwd: string, home: string): Promise<ShellAnalysis> {
  if (command.length > MAX_COMMAND_LENGTH) {
    return { parts: [tooLong(command)], parser: "fast" };
  }
  let parser: "fast" | "tree-sitter" = "fast";
  const parse = async (text: string): Promise<RawScript> => {
    const fast = fastLex(text);
    if (fast !== undefined) return fast;
    parser = "tree-sitter";
    // Loaded on first need: a line the fast lexer reads never pays for the parser module or its
    // wasm. (tree-sitter.ts finds the grammar from its own module URL: a bundler keeps it apart.)
    const { parseWithTreeSitter } = await import("./tree-sitter.js");
    return parseWithTreeSitter(text, home);
  };
  const context: AnalysisContext = { cwd, home, parse, chained: true, moved: false };
  const parts = await analyzeScript(await parse(command), context);
  return { parts, parser };
}

function tooLong(command: string): ShellPart {
  return {
    text: `${command.slice(0, 80)}…`,
    program: undefined,
    args: [],
    writes: [],
    sql: undefined,
    downloadPipedIn: false,
    unreadable: `the command is longer than ${MAX_COMMAND_LENGTH} characters`,
    via: [],
  };
}
