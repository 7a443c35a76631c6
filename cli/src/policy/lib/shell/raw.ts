/*
 * What a shell command line says, before any meaning is given to it: the simple commands with
 * their words, where their standard input comes from, and where redirections write. Produced by
 * the fast lexer (fast-lexer.ts) or by tree-sitter-bash (tree-sitter.ts); analysed by analyze.ts.
 */

export interface RawWord {
  /** The word after quote removal and the expansions that are known ($HOME, ~); undefined when it is not static. */
  readonly value: string | undefined;
  /** The source text, for messages. */
  readonly text: string;
  /** Unquoted *, ? or [: the shell may expand it to file names. */
  readonly glob: boolean;
}

export type RawStdin =
  | { readonly type: "text"; readonly text: string | undefined }
  | { readonly type: "file" }
  | { readonly type: "pipe"; readonly from: RawCommand | undefined };

export interface RawCommand {
  readonly text: string;
  readonly words: readonly RawWord[];
  /** Set by a redirection on the command or by the stage before it in a pipeline. */
  stdin: RawStdin | undefined;
  /**
   * The line is one `&&` chain and this command is a link of it (not in a subshell, pipeline,
   * loop, function, substitution, `;` or `||` list): every command after it runs only if it
   * succeeded, so a `cd` here moves where the following relative paths resolve, for certain.
   */
  readonly chained: boolean;
  /** Targets of this command's own >, >>, … redirections (set up before it runs, in the directory it starts in). */
  readonly redirectWrites: { readonly target: RawWord; readonly text: string }[];
}

export interface RawScript {
  /** Every simple command, nested ones ($(…), <(…), bodies of functions, loops, subshells) included, in source order. */
  readonly commands: RawCommand[];
  /** Targets of >, >>, >|, &>, &>>, <> on compound commands ({ …; } > f, loops, subshells). */
  readonly redirectWrites: { readonly target: RawWord; readonly text: string }[];
  /** Reasons the script cannot be fully read (parse errors); any → ask. */
  readonly unreadable: { readonly text: string; readonly reason: string }[];
}

export function staticWord(value: string): RawWord {
  return { value, text: value, glob: false };
}
