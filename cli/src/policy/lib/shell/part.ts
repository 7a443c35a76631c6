/** One thing a shell command line does, as the rules see it (analyze.ts builds them). */
export interface ShellPart {
  /** The source text it came from. */
  readonly text: string;
  /** The program's basename after unwrapping (env, sudo, xargs, bash -c, …); undefined for a redirection. */
  readonly program: string | undefined;
  /** The arguments after the program; undefined where a word is not static ($X, $(…), xargs input). */
  readonly args: readonly (string | undefined)[];
  /** Absolute paths it writes, deletes, moves or links; undefined where the path is not known. */
  readonly writes: readonly (string | undefined)[];
  /** SQL it hands to a database client; "unseen" when the client reads SQL hitl cannot see (a file, a pipe, $X). */
  readonly sql: readonly string[] | "unseen" | undefined;
  /** An interpreter whose input is a download (curl … | sh). */
  readonly downloadPipedIn: boolean;
  /** Why this part cannot be judged (a parse error, a program name that is not a fixed word, …): it is asked. */
  readonly unreadable: string | undefined;
  /** The wrappers it was found inside, outermost first: ["sudo", "bash -c"]. */
  readonly via: readonly string[];
}
