import { parseArgs } from "node:util";
// Types only: the command line does not load the SDK for this.
import type { EarlySign } from "@hitl/sdk/internal";
import { HitlError } from "@hitl/verifier/protocol";
import catalog from "./catalog.cjs";
import { ExitError } from "./exit-error.js";

/*
 * Every `hitl` command is declared once with defineCommand: its flags (parsed strictly, help text
 * generated from them), its exit codes (from the one table below), what its --json error looks
 * like, and whether Ctrl-C / SIGTERM withdraws it. The declaration's `run` gets parsed values and
 * returns an exit code; anything it throws as HitlError or ExitError is reported the same way by
 * every command.
 */

/** The exit codes of every hitl command, named once (lib/catalog.cts, where bin.cts reads them too). */
export const EXIT = catalog.EXIT;

/** The exit code of a failure with this error code, the same for every command. */
export function exitCodeOf(code: string): number {
  if (code === "ERR_DENIED" || code === "ERR_WITHDRAWN" || code === "ERR_PAIRING_REJECTED" || code === "ERR_KEYS_REVOKE_CANCELLED") {
    return EXIT.denied;
  }
  if (code === "ERR_TIMEOUT" || code === "ERR_EXPIRED") return EXIT.timeout;
  return EXIT.error;
}

export type CommandName = keyof typeof catalog.SUMMARIES;

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** The value's name in the help text (--timeout SECONDS); string flags only. */
  value?: string;
  /** What the flag does; continuation lines are indented under it. */
  help: string;
}
type Flags = Record<string, FlagSpec>;

/** What parseArgs gives for the flags of a declaration. */
export type FlagValues<F extends Flags> = {
  [K in keyof F]?: F[K]["type"] extends "boolean"
    ? F[K]["multiple"] extends true
      ? boolean[]
      : boolean
    : F[K]["multiple"] extends true
      ? string[]
      : string;
};

export interface CommandContext<F extends Flags> {
  values: FlagValues<F>;
  positionals: string[];
  /** The command line as given (after the command name). */
  argv: readonly string[];
  /** --json was given: the answer (and any error) is one JSON document on stdout. */
  json: boolean;
  /** Aborted by SIGINT / SIGTERM when the declaration has `withdrawOnSignal`. */
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** The POST /sign bin.cts opened while starting (lib/early-sign.ts); only `hitl request` gets one. */
  earlySign: EarlySign | undefined;
}

/** What bin.cts hands a command besides its arguments. */
export interface Launch {
  earlySign?: EarlySign | undefined;
}

interface Parsed<F extends Flags> {
  /** After the command name: `request --action TEXT [options]`. */
  usage: string | readonly string[];
  /** The paragraphs after the summary (may be empty). */
  description?: string;
  options: F;
  /** Words that are not flags; false (the default) refuses any. */
  positionals?: boolean;
  /** What each exit code means for this command, in the order of EXIT; omitted: not produced. */
  exits?: Partial<Record<keyof typeof EXIT, string>>;
  /** Text after the exit codes (environment, examples). */
  notes?: string;
  run(context: CommandContext<F>): Promise<number>;
}

export interface CommandSpec<F extends Flags> extends Parsed<F> {
  name: CommandName;
  /**
   * The command speaks --json: the flag is added, and an error (even a usage error) is printed as
   * `{...jsonError, code, message}` on stdout, where jsonError holds the command's verdict field
   * (e.g. {decision: "error"}). Without it, errors are one `hitl: ERR_...: message` line on stderr.
   */
  jsonError?: Record<string, string | boolean>;
  /**
   * The exit code of every failure this command reports, whatever its error code: a coding
   * agent's hook must block (2), where any other code would let the tool call run.
   */
  failureExit?: number;
  /** Ctrl-C and SIGTERM abort `signal` (and the command ends as it decides) instead of killing hitl. */
  withdrawOnSignal?: boolean;
  /**
   * Hand argv over unparsed (the command parses the rest itself, e.g. after `--`); `--help` / `-h`
   * as the first word still prints the generated help.
   */
  rawArgs?: boolean;
}

export interface Command<F extends Flags = Flags> {
  name: CommandName;
  help(): string;
  /** The strict parse `run` starts with (ERR_USAGE thrown), for tests of a command line in process. */
  parse(argv: string[]): { help: boolean; json: boolean; values: FlagValues<F>; positionals: string[] };
  run(argv: string[], env?: NodeJS.ProcessEnv, launch?: Launch): Promise<number>;
}

const HELP_FLAG: FlagSpec = { type: "boolean", short: "h", help: "show this help" };
const JSON_FLAG: FlagSpec = { type: "boolean", help: "print the result as one JSON document on stdout" };

export function defineCommand<const F extends Flags>(spec: CommandSpec<F>): Command<F> {
  const options: Flags = {
    ...spec.options,
    ...(spec.jsonError !== undefined && { json: spec.options.json ?? JSON_FLAG }),
    help: HELP_FLAG,
  };
  const help = (): string => helpText(spec, options);
  const parse = (argv: string[]) => {
    const { values, positionals } = parseFlags(spec.name, argv, options, spec.positionals === true);
    return { help: values.help === true, json: values.json === true, values: values as FlagValues<F>, positionals };
  };
  return {
    name: spec.name,
    help,
    parse,
    async run(argv, env = process.env, launch = {}) {
      const { earlySign } = launch;
      // Known before parsing, so even a usage error is answered in JSON.
      const json = spec.jsonError !== undefined && argv.includes("--json");
      const withdraw = new AbortController();
      const onSignal = (): void => withdraw.abort();
      if (spec.withdrawOnSignal === true) {
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
      }
      try {
        if (spec.rawArgs === true) {
          if (argv[0] === "--help" || argv[0] === "-h") return printHelp(help());
          return await spec.run({ values: {}, positionals: argv, argv, json, signal: withdraw.signal, env, earlySign });
        }
        const parsed = parse(argv);
        if (parsed.help) return printHelp(help());
        return await spec.run({
          values: parsed.values,
          positionals: parsed.positionals,
          argv,
          json,
          signal: withdraw.signal,
          env,
          earlySign,
        });
      } catch (error) {
        const exit = reportFailure(error, json ? spec.jsonError : undefined);
        return spec.failureExit ?? exit;
      } finally {
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
      }
    },
  };
}

function printHelp(text: string): number {
  process.stdout.write(text);
  return EXIT.ok;
}

/**
 * A strict node:util parseArgs, its TypeError turned into ERR_USAGE with a pointer to the
 * command's --help. Unknown flags and stray words are errors, never ignored.
 */
export function parseFlags(command: string, argv: string[], options: Flags, allowPositionals: boolean) {
  const parseOptions = Object.fromEntries(
    Object.entries(options).map(([name, flag]) => [
      name,
      { type: flag.type, ...(flag.short !== undefined && { short: flag.short }), ...(flag.multiple === true && { multiple: true }) },
    ]),
  );
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals, options: parseOptions });
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/\s+/g, " ").trim() : String(error);
    throw usageError(command, `${detail.replace(/\.$/, "")}.`);
  }
}

/** ERR_USAGE, with where to read the options. */
export function usageError(command: string, message: string): HitlError {
  return new HitlError("ERR_USAGE", `${message} Run 'hitl ${command} --help' for the options.`);
}

/**
 * The one way a command's failure is reported: `hitl: CODE: message` on stderr, or with --json
 * `{...jsonError, code, message}` on stdout. Anything that is not a HitlError or ExitError is a
 * bug and goes on to bin.cts (ERR_INTERNAL).
 */
export function reportFailure(error: unknown, jsonError: Record<string, unknown> | undefined): number {
  let exit: number;
  if (error instanceof ExitError) exit = error.exitCode;
  else if (error instanceof HitlError) exit = exitCodeOf(error.code);
  else throw error;
  if (jsonError !== undefined) process.stdout.write(`${JSON.stringify({ ...jsonError, code: error.code, message: error.message })}\n`);
  else process.stderr.write(`hitl: ${error.code}: ${error.message}\n`);
  return exit;
}

const EXIT_ORDER = ["ok", "denied", "timeout", "error"] as const;

function helpText(spec: CommandSpec<Flags>, options: Flags): string {
  const usage = typeof spec.usage === "string" ? [spec.usage] : spec.usage;
  const lines = usage.map((line, i) => `${i === 0 ? "Usage: " : "       "}hitl ${spec.name}${line === "" ? "" : ` ${line}`}`);
  const summary = catalog.SUMMARIES[spec.name];
  let text = `${lines.join("\n")}\n\n${summary[0]!.toUpperCase()}${summary.slice(1)}.\n`;
  if (spec.description !== undefined && spec.description.length > 0) text += `\n${spec.description.trimEnd()}\n`;
  text += `\nOptions:\n${optionLines(options)}`;
  if (spec.exits !== undefined) {
    const exits = EXIT_ORDER.filter((name) => spec.exits?.[name] !== undefined).map(
      (name) => `  ${EXIT[name]}  ${spec.exits![name]!.replaceAll("\n", "\n     ")}`,
    );
    text += `\nExit codes:\n${exits.join("\n")}\n`;
  }
  if (spec.notes !== undefined) text += `\n${spec.notes.trimEnd()}\n`;
  return text;
}

/** `  --flag VALUE        what it does`, aligned; the help's own layout, generated from the flags. */
export function optionLines(options: Flags): string {
  const heads = Object.entries(options).map(([name, flag]) => {
    const value = flag.type === "string" ? ` ${flag.value ?? "VALUE"}` : "";
    return `${flag.short !== undefined ? `-${flag.short}, ` : ""}--${name}${value}`;
  });
  const width = Math.max(18, ...heads.map((head) => head.length)) + 2;
  return Object.values(options)
    .map((flag, i) => {
      const head = heads[i]!;
      const body = flag.help.replaceAll("\n", `\n  ${" ".repeat(width)}`);
      return `  ${head.padEnd(width)}${body}\n`;
    })
    .join("");
}
