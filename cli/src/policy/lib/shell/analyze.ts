import { basename, isAbsolute, resolve } from "node:path";
import type { ShellPart } from "./part.js";
import type { RawCommand, RawScript, RawStdin, RawWord } from "./raw.js";
import { staticWord } from "./raw.js";

/** How deep `bash -c 'bash -c …'`, eval and aliases are followed before the command is asked instead. */
const MAX_DEPTH = 8;

export interface AnalysisContext {
  /** Where relative paths resolve; undefined after a `cd` to a place the text does not fix. */
  cwd: string | undefined;
  readonly home: string;
  /** Parses nested shell text (bash -c, eval, here-docs into a shell, aliases). */
  readonly parse: (text: string) => Promise<RawScript>;
  /** The command being analysed is a link of the line's one `&&` chain (RawCommand.chained). */
  chained: boolean;
  /** A cd, pushd or popd was met: the working directory may differ from the call's. */
  moved: boolean;
}

const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "fish", "rbash"]);
const INTERPRETERS = new Set(["python", "python2", "python3", "perl", "ruby", "node", "nodejs", "php", "deno", "bun", "lua", "tclsh"]);
const DOWNLOADERS = new Set(["curl", "wget", "fetch", "http", "https", "xh", "aria2c", "lwp-request", "GET"]);
const PRIVILEGE = new Set(["sudo", "doas", "run0", "pkexec", "sudoedit"]);

/** Every part of a parsed script, wrappers unwrapped and nested scripts followed. */
export async function analyzeScript(
  raw: RawScript,
  context: AnalysisContext,
  via: readonly string[] = [],
  depth = 0,
): Promise<ShellPart[]> {
  const parts: ShellPart[] = raw.unreadable.map(({ text, reason }) => unreadable(text, reason, via));
  const outer = context.chained;
  for (const command of raw.commands) {
    context.chained = outer && command.chained;
    // A command's redirections open before it runs: in the directory it starts in.
    for (const write of command.redirectWrites) parts.push({ ...blank(write.text, via), writes: [pathOf(write.target, context)] });
    parts.push(...(await analyzeCommand(command.words, command.stdin, command.text, context, via, depth)));
  }
  context.chained = outer;
  // Redirections of compound commands: when they open is not tracked, so after any cd a relative target is unknown.
  for (const write of raw.redirectWrites) {
    const target = write.target.value;
    const known = target !== undefined && (isAbsolute(target) || !context.moved);
    parts.push({ ...blank(write.text, via), writes: [known ? pathOf(write.target, context) : undefined] });
  }
  return parts;
}

/**
 * Nested shell text. A child shell (bash -c, su -c, a script on stdin) gets its own working
 * directory: its `cd` does not move the parent. eval and aliases run in the same shell ("same").
 */
async function analyzeText(
  text: string,
  context: AnalysisContext,
  via: readonly string[],
  depth: number,
  shell: "child" | "same" = "child",
): Promise<ShellPart[]> {
  if (depth >= MAX_DEPTH) return [unreadable(text, `commands are nested more than ${MAX_DEPTH} levels deep`, via)];
  return analyzeScript(await context.parse(text), shell === "same" ? context : { ...context }, via, depth + 1);
}

async function analyzeCommand(
  allWords: readonly RawWord[],
  stdin: RawStdin | undefined,
  text: string,
  context: AnalysisContext,
  via: readonly string[],
  depth: number,
): Promise<ShellPart[]> {
  // NAME=value words before the program are assignments in bash; tree-sitter-bash reads "_=x"
  // as a program name, so they are skipped here whatever the parser said.
  let words = allWords;
  let start = 0;
  while (start < words.length && words[start]!.value !== undefined && /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(words[start]!.value!)) start++;
  if (start > 0) words = words.slice(start);
  const head = words[0];
  if (head === undefined) return [];
  if (head.value === undefined)
    return [unreadable(text, `the program name ${head.text} is not a fixed word, so what runs cannot be known`, via)];
  if (head.value.length === 0) return [unreadable(text, "the program name is empty", via)];
  const program = basename(head.value);
  const args = words.slice(1);
  const values = args.map((word) => word.value);
  const next = (rest: readonly RawWord[], wrapper: string, input: RawStdin | undefined = stdin) =>
    rest.length === 0 ? Promise.resolve([] as ShellPart[]) : analyzeCommand(rest, input, text, context, [...via, wrapper], depth + 1);

  if (depth >= MAX_DEPTH) return [unreadable(text, `commands are nested more than ${MAX_DEPTH} levels deep`, via)];

  switch (program) {
    case "env":
      return envCommand(args, text, context, via, depth, stdin);
    case "command":
    case "builtin":
      return next(skipOptions(args, { flags: "pvV" }), program);
    case "exec":
      return next(skipOptions(args, { flags: "cl", withValue: "a" }), program);
    case "nice":
      return next(skipOptions(args, { flags: "", withValue: "n", long: ["--adjustment"], numeric: true }), program);
    case "nohup":
      return next(skipOptions(args, { flags: "" }), program);
    case "setsid":
      return next(skipOptions(args, { flags: "cfw" }), program);
    case "stdbuf":
      return next(skipOptions(args, { flags: "", withValue: "ioe", long: ["--input", "--output", "--error"] }), program);
    case "ionice":
      return next(skipOptions(args, { flags: "tu", withValue: "cnp" }), program);
    case "time":
      return next(skipOptions(args, { flags: "pvaq", withValue: "fo", long: ["--format", "--output"] }), program);
    case "timeout": {
      const rest = skipOptions(args, { flags: "v", withValue: "sk", long: ["--signal", "--kill-after"] });
      return next(rest.slice(1), program);
    }
    case "xargs":
      return xargsCommand(args, text, context, via, depth);
    case "find":
      return findCommand(program, args, text, context, via, depth);
    case "eval": {
      if (values.some((value) => value === undefined)) return [unreadable(text, "eval runs text that is not fixed", via)];
      return analyzeText(values.join(" "), context, [...via, "eval"], depth, "same");
    }
    case "alias": {
      const parts: ShellPart[] = [];
      for (const value of values) {
        if (value === undefined) return [unreadable(text, "alias defines text that is not fixed", via)];
        const eq = value.indexOf("=");
        if (eq > 0) parts.push(...(await analyzeText(value.slice(eq + 1), context, [...via, "alias"], depth, "same")));
      }
      return parts;
    }
    case "source":
    case ".":
      if (values[0] === undefined && args.length > 0) return [unreadable(text, `${program} runs a file whose name is not fixed`, via)];
      return [plain(program, values, text, via)];
    case "cd":
    case "pushd":
      // Outside the line's one && chain a cd may or may not have run: where later paths resolve is unknown.
      context.cwd = context.chained ? changeDirectory(values, args.length, context) : undefined;
      context.moved = true;
      return [plain(program, values, text, via)];
    case "popd":
      // Where it returns to is on a stack this does not keep.
      context.cwd = undefined;
      context.moved = true;
      return [plain(program, values, text, via)];
    case "busybox":
    case "toybox":
      // busybox rm -rf x: the applet is the program.
      return args.length === 0 ? [plain(program, values, text, via)] : next(args, program);
  }
  if (PRIVILEGE.has(program)) {
    const rest = skipOptions(args, {
      flags: "AbEeHiKklnPSsVv",
      withValue: "CDghprTtUu",
      long: ["--user", "--group", "--host", "--prompt", "--close-from", "--chdir", "--role", "--type", "--other-user", "--command-timeout"],
    });
    return [plain(program, values, text, via), ...(await next(rest, program))];
  }
  if (program === "su") {
    const script = optionValue(args, ["-c", "--command"]);
    const self = plain(program, values, text, via);
    if (script === null) return [self];
    if (script === undefined) return [self, unreadable(text, "su -c runs text that is not fixed", via)];
    return [self, ...(await analyzeText(script, context, [...via, "su -c"], depth))];
  }
  if (SHELLS.has(program)) return shellCommand(program, args, stdin, text, context, via, depth);
  if (INTERPRETERS.has(program)) {
    return [{ ...plain(program, values, text, via), downloadPipedIn: stdin?.type === "pipe" && isDownload(stdin.from) }];
  }
  const sql = sqlOf(program, args, stdin);
  return [{ ...plain(program, values, text, via), writes: writesOf(program, args, context), sql }];
}

function envCommand(
  args: readonly RawWord[],
  text: string,
  context: AnalysisContext,
  via: readonly string[],
  depth: number,
  stdin: RawStdin | undefined,
): Promise<ShellPart[]> | ShellPart[] {
  const rest: RawWord[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === undefined) return [unreadable(text, "env is given a word that is not fixed", via)];
    if (value === "--") {
      i++;
      break;
    }
    if (
      value === "-S" ||
      value === "--split-string" ||
      value.startsWith("--split-string=") ||
      (value.startsWith("-S") && value.length > 2)
    ) {
      // env -S "rm -rf x" splits its argument into a command line: follow it as shell text (close enough: env -S has no expansions).
      const inline = value.startsWith("--split-string=")
        ? value.slice(15)
        : value.length > 2 && value.startsWith("-S")
          ? value.slice(2)
          : args[++i]?.value;
      if (inline === undefined) return [unreadable(text, "env -S is given text that is not fixed", via)];
      const tail = args
        .slice(i + 1)
        .map((word) => word.text)
        .join(" ");
      return analyzeText(`${inline} ${tail}`.trim(), context, [...via, "env -S"], depth);
    }
    if (value === "-u" || value === "--unset" || value === "-C" || value === "--chdir") {
      i++;
      continue;
    }
    if (value.startsWith("-") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(value)) continue;
    break;
  }
  rest.push(...args.slice(i));
  if (rest.length === 0) return [plain("env", [], text, via)];
  return analyzeCommand(rest, stdin, text, context, [...via, "env"], depth + 1);
}

async function shellCommand(
  program: string,
  args: readonly RawWord[],
  stdin: RawStdin | undefined,
  text: string,
  context: AnalysisContext,
  via: readonly string[],
  depth: number,
): Promise<ShellPart[]> {
  const self = plain(
    program,
    args.map((word) => word.value),
    text,
    via,
  );
  let command = false;
  // -s: commands come from standard input even when arguments follow (they are $1, $2, …).
  let fromStdin = false;
  let i = 0;
  for (; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === undefined) return [unreadable(text, `${program} is given an option or script that is not fixed`, via)];
    if (value === "--" || value === "-") {
      i++;
      break;
    }
    if (value === "-o" || value === "+o" || value === "-O" || value === "+O" || value === "--rcfile" || value === "--init-file") {
      i++;
      continue;
    }
    if (/^[-+][A-Za-z]+$/.test(value)) {
      if (value.startsWith("-") && value.includes("c")) command = true;
      if (value.startsWith("-") && value.includes("s")) fromStdin = true;
      continue;
    }
    if (value.startsWith("--")) continue;
    break;
  }
  const first = args[i];
  if (command) {
    if (first === undefined) return [unreadable(text, `${program} -c has no command text`, via)];
    if (first.value === undefined) return [unreadable(text, `${program} -c runs text that is not fixed`, via)];
    return [self, ...(await analyzeText(first.value, context, [...via, `${program} -c`], depth))];
  }
  if (first !== undefined && !fromStdin) {
    // A script file: what is in it is not on the command line (like ./build.sh).
    if (first.value === undefined) return [unreadable(text, `${program} runs a script whose name is not fixed (e.g. <(…))`, via)];
    return [self];
  }
  // No script: the shell reads its commands from standard input.
  if (stdin === undefined) return [self];
  if (stdin.type === "file") return [self];
  if (stdin.type === "pipe" && isDownload(stdin.from)) return [{ ...self, downloadPipedIn: true }];
  const script = stdin.type === "text" ? stdin.text : outputOf(stdin.from);
  if (script === undefined) return [unreadable(text, `${program} reads commands from input hitl cannot see`, via)];
  return [self, ...(await analyzeText(script, context, [...via, `${program} <<<`], depth))];
}

async function xargsCommand(
  args: readonly RawWord[],
  text: string,
  context: AnalysisContext,
  via: readonly string[],
  depth: number,
): Promise<ShellPart[]> {
  let replace: string | undefined;
  let i = 0;
  const withValue = new Set(["-I", "-L", "-n", "-P", "-s", "-d", "-E", "-a"]);
  for (; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === undefined) return [unreadable(text, "xargs is given an option that is not fixed", via)];
    if (value === "--") {
      i++;
      break;
    }
    if (!value.startsWith("-")) break;
    if (value === "-I") replace = args[++i]?.value ?? "{}";
    else if (value.startsWith("-I")) replace = value.slice(2);
    else if (value === "-i" || value === "--replace") replace = "{}";
    else if (value.startsWith("-i")) replace = value.slice(2);
    else if (value.startsWith("--replace=")) replace = value.slice(10);
    else if (withValue.has(value)) i++;
  }
  const rest: RawWord[] = args
    .slice(i)
    .map((word) => (replace !== undefined && word.value?.includes(replace) ? { value: undefined, text: word.text, glob: false } : word));
  if (rest.length === 0) rest.push(staticWord("echo"));
  // The items xargs reads from its input become more arguments nobody can see here.
  if (replace === undefined) rest.push({ value: undefined, text: "<xargs input>", glob: false });
  return analyzeCommand(rest, undefined, text, context, [...via, "xargs"], depth + 1);
}

async function findCommand(
  program: string,
  args: readonly RawWord[],
  text: string,
  context: AnalysisContext,
  via: readonly string[],
  depth: number,
): Promise<ShellPart[]> {
  const roots: (string | undefined)[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const value = args[i]!.value;
    if (value !== undefined && (value.startsWith("-") || value === "(" || value === "!")) break;
    roots.push(value);
  }
  if (roots.length === 0) roots.push(".");
  const values = args.map((word) => word.value);
  const resolvedRoots = roots.map((root) => resolvePath(root, context));
  const deletes = values.includes("-delete");
  const parts: ShellPart[] = [{ ...plain(program, values, text, via), writes: deletes ? resolvedRoots : [] }];
  for (; i < args.length; i++) {
    const value = args[i]!.value;
    if (value !== "-exec" && value !== "-execdir" && value !== "-ok" && value !== "-okdir") continue;
    const inner: RawWord[] = [];
    for (i++; i < args.length; i++) {
      const word = args[i]!;
      if (word.value === ";" || word.value === "+") break;
      // {} is each found path: under a root, never an option.
      inner.push(
        word.value?.includes("{}") && roots.length === 1 && roots[0] !== undefined
          ? { value: word.value.replaceAll("{}", `${roots[0]}/{}`), text: word.text, glob: false }
          : word.value?.includes("{}")
            ? { value: undefined, text: word.text, glob: false }
            : word,
      );
    }
    parts.push(...(await analyzeCommand(inner, undefined, text, context, [...via, `find ${value}`], depth + 1)));
  }
  return parts;
}

function changeDirectory(values: readonly (string | undefined)[], count: number, context: AnalysisContext): string | undefined {
  const target = values.find((value) => value === undefined || !value.startsWith("-") || value === "-");
  if (count === 0 || (target === undefined && values.every((value) => value !== undefined))) return context.home;
  if (target === undefined || target === "-") return undefined;
  return resolvePath(target, context);
}

/** The output of a pipeline stage when the text fixes it: echo/printf of static words, cat of a here-doc. */
function outputOf(command: RawCommand | undefined): string | undefined {
  if (command === undefined) return undefined;
  const values = command.words.map((word) => word.value);
  if (values.some((value) => value === undefined)) return undefined;
  const [program, ...args] = values as string[];
  const name = basename(program ?? "");
  if (name === "echo") return `${args.filter((arg) => !/^-[neE]+$/.test(arg)).join(" ")}\n`;
  if (name === "printf") return args.join(" ");
  if (name === "cat" && args.length === 0) {
    if (command.stdin?.type === "text") return command.stdin.text;
    if (command.stdin?.type === "pipe") return outputOf(command.stdin.from);
  }
  return undefined;
}

/** A download, possibly through wrappers and pass-through stages (curl … | tee f | sh). */
function isDownload(command: RawCommand | undefined): boolean {
  if (command === undefined) return false;
  const names = command.words.map((word) => (word.value === undefined ? undefined : basename(word.value)));
  if (names.some((name) => name !== undefined && DOWNLOADERS.has(name))) return true;
  const head = names[0];
  if ((head === "tee" || head === "cat" || head === "gunzip" || head === "zcat" || head === "base64") && command.stdin?.type === "pipe") {
    return isDownload(command.stdin.from);
  }
  return false;
}

const SQL_CLIENTS: Record<string, { inline: string[]; file: string[]; positionalSql?: boolean }> = {
  psql: { inline: ["-c", "--command"], file: ["-f", "--file"] },
  mysql: { inline: ["-e", "--execute"], file: [] },
  mariadb: { inline: ["-e", "--execute"], file: [] },
  sqlite3: { inline: ["-cmd"], file: ["-init"], positionalSql: true },
  sqlite: { inline: ["-cmd"], file: ["-init"], positionalSql: true },
  duckdb: { inline: ["-c", "-cmd"], file: ["-init"], positionalSql: true },
  sqlcmd: { inline: ["-Q", "-q"], file: ["-i"] },
  "clickhouse-client": { inline: ["-q", "--query"], file: ["--queries-file"] },
  cockroach: { inline: ["-e", "--execute"], file: ["-f", "--file"] },
};

/** The SQL a database client is given, or "unseen" when it reads SQL from somewhere this cannot read. */
function sqlOf(program: string, args: readonly RawWord[], stdin: RawStdin | undefined): readonly string[] | "unseen" | undefined {
  const client = SQL_CLIENTS[program];
  if (client === undefined) return undefined;
  const sql: string[] = [];
  let unseen = false;
  const positionals: (string | undefined)[] = [];
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === undefined) {
      positionals.push(undefined);
      continue;
    }
    const inline = matchOption(value, client.inline, args[i + 1]?.value);
    if (inline !== null) {
      if (inline.consumed) i++;
      if (inline.value === undefined) unseen = true;
      else sql.push(inline.value);
      continue;
    }
    const file = matchOption(value, client.file, args[i + 1]?.value);
    if (file !== null) {
      if (file.consumed) i++;
      unseen = true;
      continue;
    }
    if (!value.startsWith("-")) positionals.push(value);
  }
  // sqlite3 DB "SQL…", duckdb DB "SQL…": everything after the database is SQL.
  if (client.positionalSql) {
    for (const value of positionals.slice(1)) {
      if (value === undefined) unseen = true;
      else sql.push(value);
    }
  } else if (positionals.slice(1).includes(undefined)) unseen = true;
  if (stdin !== undefined) {
    if (stdin.type === "text") {
      if (stdin.text === undefined) unseen = true;
      else sql.push(stdin.text);
    } else if (stdin.type === "file") unseen = true;
    else {
      const output = outputOf(stdin.from);
      if (output === undefined) unseen = true;
      else sql.push(output);
    }
  }
  if (unseen) return "unseen";
  return sql.length > 0 ? sql : undefined;
}

/** "-c X", "-cX" (one-letter options), "--command=X", "--command X" → the value; null when `value` is not one of `names`. */
function matchOption(
  value: string,
  names: readonly string[],
  following: string | undefined,
): { value: string | undefined; consumed: boolean } | null {
  for (const name of names) {
    if (value === name) return { value: following, consumed: true };
    if (name.startsWith("--") && value.startsWith(`${name}=`)) return { value: value.slice(name.length + 1), consumed: false };
    if (/^-[A-Za-z]$/.test(name) && value.startsWith(name) && value.length > 2) return { value: value.slice(2), consumed: false };
  }
  return null;
}

/** The value of the first of `names` (-c X, -cX, --command=X); null when absent, undefined when not static. */
function optionValue(args: readonly RawWord[], names: readonly string[]): string | undefined | null {
  for (let i = 0; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === undefined) continue;
    const found = matchOption(value, names, args[i + 1]?.value);
    if (found !== null) return found.value;
  }
  return null;
}

const WRITE_ALL_POSITIONALS = new Set([
  "tee",
  "rm",
  "rmdir",
  "unlink",
  "shred",
  "touch",
  "mkdir",
  "mkfifo",
  "mknod",
  "mv",
  "ln",
  "link",
  "srm",
  "wipe",
]);
const WRITE_LAST_POSITIONAL = new Set(["cp", "install", "rsync", "scp"]);
const WRITE_AFTER_FIRST = new Set(["chmod", "chown", "chgrp", "chattr", "setfacl"]);

/** The paths a command writes, deletes, moves or links, by what the program is known to do. */
function writesOf(program: string, args: readonly RawWord[], context: AnalysisContext): (string | undefined)[] {
  const positionals = positionalWords(args);
  const paths = (words: readonly RawWord[]) => words.map((word) => pathOf(word, context));
  const target = optionValue(args, ["-t", "--target-directory"]);
  if (WRITE_ALL_POSITIONALS.has(program)) return [...paths(positionals), ...(target === null ? [] : [resolvePath(target, context)])];
  if (WRITE_LAST_POSITIONAL.has(program)) {
    if (target !== null) return [resolvePath(target, context)];
    return positionals.length >= 2 ? paths(positionals.slice(-1)) : [];
  }
  if (WRITE_AFTER_FIRST.has(program))
    return args.some((word) => word.value?.startsWith("--reference=")) ? paths(positionals) : paths(positionals.slice(1));
  if (program === "truncate") return paths(positionalWords(args, ["-s", "--size", "-r", "--reference"]));
  if (program === "sed" || program === "perl") {
    const inPlace = args.some(
      (word) => word.value !== undefined && (/^-[A-Za-z]*i/.test(word.value) || word.value.startsWith("--in-place")),
    );
    if (!inPlace) return [];
    const hasScriptOption = args.some((word) => word.value === "-e" || word.value === "-f" || word.value?.startsWith("--expression"));
    const files = positionalWords(args, ["-e", "-f", "--expression", "--file"]);
    return paths(program === "sed" && !hasScriptOption ? files.slice(1) : files);
  }
  if (program === "dd") {
    return args
      .filter((word) => word.value === undefined || word.value.startsWith("of="))
      .map((word) => (word.value === undefined ? undefined : resolvePath(word.value.slice(3), context)));
  }
  if (program === "tar" || program === "bsdtar") {
    // Extracting writes under -C DIR (else here), wherever the archive says.
    const mode = args[0]?.value;
    const extracts =
      args.some(
        (word) => word.value === "--extract" || word.value === "--get" || (word.value !== undefined && /^-[A-Za-z]*x/.test(word.value)),
      ) ||
      (mode !== undefined && /^[A-Za-z]*x[A-Za-z]*$/.test(mode));
    if (!extracts) return [];
    const into = optionValue(args, ["-C", "--directory"]);
    return [into === null ? context.cwd : resolvePath(into, context)];
  }
  if (program === "unzip") {
    const into = optionValue(args, ["-d"]);
    return [into === null ? context.cwd : resolvePath(into, context)];
  }
  if (program === "curl" || program === "wget") {
    const out = optionValue(args, program === "curl" ? ["-o", "--output"] : ["-O", "--output-document"]);
    return out === null || out === "-" ? [] : [resolvePath(out, context)];
  }
  return [];
}

/** Words that are not options (an undefined word counts: it could be a path); "--" ends the options. */
function positionalWords(args: readonly RawWord[], optionsWithValue: readonly string[] = []): RawWord[] {
  const out: RawWord[] = [];
  let options = true;
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (options && word.value === "--") {
      options = false;
      continue;
    }
    if (options && word.value?.startsWith("-") && word.value !== "-") {
      if (optionsWithValue.includes(word.value)) i++;
      continue;
    }
    out.push(word);
  }
  return out;
}

/** Skips a wrapper's options; returns the wrapped command's words. */
function skipOptions(
  args: readonly RawWord[],
  spec: { flags: string; withValue?: string; long?: readonly string[]; numeric?: boolean },
): readonly RawWord[] {
  let i = 0;
  for (; i < args.length; i++) {
    const value = args[i]!.value;
    if (value === undefined) return args.slice(i);
    if (value === "--") return args.slice(i + 1);
    if (!value.startsWith("-") || value === "-") break;
    if (value.startsWith("--")) {
      if (!value.includes("=") && spec.long?.includes(value)) i++;
      continue;
    }
    if (spec.numeric && /^-[0-9]+$/.test(value)) continue;
    const last = value[value.length - 1]!;
    if (value.length === 2 && spec.withValue?.includes(last)) i++;
  }
  return args.slice(i);
}

function pathOf(word: RawWord, context: AnalysisContext): string | undefined {
  return resolvePath(word.value, context);
}

function resolvePath(value: string | undefined, context: AnalysisContext): string | undefined {
  if (value === undefined || value.length === 0) return undefined;
  if (isAbsolute(value)) return resolve(value);
  if (context.cwd === undefined) return undefined;
  return resolve(context.cwd, value);
}

function blank(text: string, via: readonly string[]): ShellPart {
  return { text, program: undefined, args: [], writes: [], sql: undefined, downloadPipedIn: false, unreadable: undefined, via };
}

function plain(program: string, args: readonly (string | undefined)[], text: string, via: readonly string[]): ShellPart {
  return { ...blank(text, via), program, args };
}

function unreadable(text: string, reason: string, via: readonly string[]): ShellPart {
  return { ...blank(text, via), unreadable: reason };
}
