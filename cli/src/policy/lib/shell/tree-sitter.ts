import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import type { Node, Parser } from "web-tree-sitter";
import type { RawCommand, RawScript, RawWord } from "./raw.js";

/*
 * The real parser: tree-sitter-bash compiled to wasm, run by web-tree-sitter. The grammar's
 * .wasm ships inside the tree-sitter-bash npm package and is read from node_modules; nothing is
 * downloaded at install or run time. Loaded once per process, on the first command the fast
 * lexer cannot take.
 */
let parser: Promise<Parser> | undefined;

export function bashParser(): Promise<Parser> {
  parser ??= (async () => {
    // V8 tiers hot wasm up with TurboFan in the background, and a process waits for those jobs
    // before it exits: for the 1.3 MB grammar that made a hook that parsed one line exit ~0.8 s
    // late (measured: 1.05 s wall vs 0.28 s with Liftoff only, cli/scripts/policy-timing.mjs).
    // Liftoff's code parses a command line in well under a millisecond, so stay with it. Set
    // before the first wasm compile; it concerns only wasm, which nothing else in hitl uses.
    setFlagsFromString("--liftoff-only");
    const { Language, Parser } = await import("web-tree-sitter");
    await Parser.init();
    const wasm = createRequire(import.meta.url).resolve("tree-sitter-bash/tree-sitter-bash.wasm");
    const bash = await Language.load(wasm);
    const created = new Parser();
    created.setLanguage(bash);
    return created;
  })();
  // A failed load must not stick: the next call tries again (and the caller asks meanwhile).
  parser.catch(() => {
    parser = undefined;
  });
  return parser;
}

const WRITE_OPERATORS = new Set([">", ">>", ">|", "&>", "&>>", "<>", ">&", "&>|"]);

/** Parses `text` and returns its simple commands, redirections and parse problems. */
export async function parseWithTreeSitter(text: string, home: string): Promise<RawScript> {
  const tree = (await bashParser()).parse(text);
  if (tree === null) return { commands: [], redirectWrites: [], unreadable: [{ text, reason: "the shell parser gave no result" }] };
  try {
    return new Walker(home).walk(tree.rootNode);
  } finally {
    tree.delete();
  }
}

class Walker {
  private readonly script: RawScript = { commands: [], redirectWrites: [], unreadable: [] };
  /** The RawCommand built for a `command` node, by node id. */
  private readonly byNode = new Map<number, RawCommand>();
  private readonly pipelines: Node[] = [];

  constructor(private readonly home: string) {}

  walk(root: Node): RawScript {
    this.visit(root);
    // Pipes are wired after every command exists; a redirection on a command wins over the pipe, as in bash.
    for (const pipeline of this.pipelines) {
      const stages = pipeline.namedChildren.filter((child): child is Node => child !== null && child.type !== "comment");
      const owner = pipeline.parent?.type === "heredoc_redirect" ? this.ownerOf(pipeline.parent) : undefined;
      stages.forEach((stage, index) => {
        const command = this.commandOfStage(stage);
        if (command === undefined || command.stdin !== undefined) return;
        if (index > 0) command.stdin = { type: "pipe", from: this.commandOfStage(stages[index - 1]!) };
        else if (pipeline.parent?.type === "heredoc_redirect") command.stdin = { type: "pipe", from: owner };
      });
    }
    return this.script;
  }

  private visit(node: Node): void {
    if (node.type === "ERROR" || node.isMissing) {
      const near = node.text.length > 40 ? `${node.text.slice(0, 40)}…` : node.text;
      this.script.unreadable.push({
        text: node.parent?.text ?? node.text,
        reason: node.isMissing
          ? `the command is incomplete (missing ${JSON.stringify(node.type)})`
          : `the shell cannot parse ${JSON.stringify(near)}`,
      });
    }
    switch (node.type) {
      case "command":
        this.command(node);
        break;
      case "pipeline":
        this.pipelines.push(node);
        break;
      case "file_redirect":
        this.fileRedirect(node);
        break;
      case "heredoc_redirect":
        this.heredoc(node);
        break;
      case "herestring_redirect":
        this.herestring(node);
        break;
    }
    for (const child of node.children) if (child !== null) this.visit(child);
  }

  private command(node: Node): void {
    const name = node.childForFieldName("name");
    const words: RawWord[] = [];
    if (name !== null) words.push(this.word(name.namedChildren[0] ?? name));
    for (const argument of node.childrenForFieldName("argument")) if (argument !== null) words.push(this.word(argument));
    const command: RawCommand = { text: node.text, words, stdin: undefined, chained: isChainLink(node), redirectWrites: [] };
    this.byNode.set(node.id, command);
    if (words.length > 0) this.script.commands.push(command);
  }

  private fileRedirect(node: Node): void {
    const operator = node.children.find((child) => child !== null && !child.isNamed)?.type ?? "";
    const destination =
      node.childForFieldName("destination") ?? node.namedChildren.find((c) => c !== null && c.type !== "file_descriptor") ?? null;
    if (destination === null) return;
    const target = this.word(destination);
    if (WRITE_OPERATORS.has(operator)) {
      // >&2, >&- and friends duplicate or close a descriptor; they write no file.
      if ((operator === ">&" || operator === "<&") && /^(?:[0-9]+|-)$/.test(target.value ?? "")) return;
      const owner = this.ownerOf(node);
      (owner?.redirectWrites ?? this.script.redirectWrites).push({ target, text: node.text });
    } else if (operator === "<") {
      const owner = this.ownerOf(node);
      if (owner !== undefined) owner.stdin = { type: "file" };
    }
  }

  private heredoc(node: Node): void {
    const body = node.children.find((child) => child?.type === "heredoc_body");
    const owner = this.ownerOf(node);
    if (owner === undefined) return;
    const dynamic = body?.namedChildren.some((child) => child !== null && child.type !== "heredoc_content") ?? false;
    owner.stdin = { type: "text", text: dynamic ? undefined : (body?.text ?? "") };
  }

  private herestring(node: Node): void {
    const owner = this.ownerOf(node);
    const word = node.namedChildren[0];
    if (owner === undefined || word === null || word === undefined) return;
    const value = this.word(word).value;
    owner.stdin = { type: "text", text: value === undefined ? undefined : `${value}\n` };
  }

  /** The simple command a redirection belongs to: its own command, or the body of the redirected statement. */
  private ownerOf(redirect: Node): RawCommand | undefined {
    const parent = redirect.parent;
    if (parent === null) return undefined;
    if (parent.type === "command") return this.ensure(parent);
    if (parent.type === "redirected_statement") {
      // tree-sitter-bash hangs "a && b > f" and "a | b > f" on the whole list or pipeline; in
      // bash the redirection belongs to the last simple command, b.
      let body = parent.childForFieldName("body");
      while (body !== null && (body.type === "list" || body.type === "pipeline"))
        body = body.namedChildren.filter((c) => c !== null && c.type !== "comment").at(-1) ?? null;
      if (body?.type === "redirected_statement") body = body.childForFieldName("body");
      if (body?.type === "command") return this.ensure(body);
    }
    return undefined;
  }

  /** The command node's RawCommand, built early when a redirection is met before the walk reaches it. */
  private ensure(node: Node): RawCommand | undefined {
    if (!this.byNode.has(node.id)) return undefined;
    return this.byNode.get(node.id);
  }

  private commandOfStage(stage: Node): RawCommand | undefined {
    if (stage.type === "command") return this.byNode.get(stage.id);
    if (stage.type === "redirected_statement") {
      const body = stage.childForFieldName("body");
      if (body?.type === "command") return this.byNode.get(body.id);
    }
    return undefined;
  }

  private word(node: Node): RawWord {
    return {
      value: this.staticValue(node, true),
      text: node.text,
      glob: node.type === "word" && /[*?[]/.test(node.text.replace(/\\./g, "")),
    };
  }

  /** The word's value when the source alone fixes it (quotes removed, $HOME and ~ expanded); undefined otherwise. */
  private staticValue(node: Node, first: boolean): string | undefined {
    switch (node.type) {
      case "word": {
        const text = node.text;
        // Unquoted {a,b} or {1..3}: brace expansion turns one word into several.
        if (/\{[^}]*(?:,|\.\.)[^}]*\}/.test(text.replace(/\\./g, ""))) return undefined;
        let value = text.replace(/\\\n/g, "").replace(/\\(.)/gs, "$1");
        if (first && (value === "~" || value.startsWith("~/")) && !text.startsWith("\\")) value = this.home + value.slice(1);
        return value;
      }
      case "number":
        return node.text;
      case "raw_string":
        return node.text.slice(1, -1);
      case "ansi_c_string":
        return ansiC(node.text.slice(2, -1));
      case "string":
      case "translated_string": {
        let value = "";
        for (const child of node.namedChildren) {
          if (child === null) continue;
          if (child.type === "string_content") value += child.text.replace(/\\\n/g, "").replace(/\\([\\"$`])/g, "$1");
          else {
            const part = this.staticValue(child, false);
            if (part === undefined) return undefined;
            value += part;
          }
        }
        return value;
      }
      case "simple_expansion":
      case "expansion":
        return /^\$\{?HOME\}?$/.test(node.text) ? this.home : undefined;
      case "concatenation": {
        let value = "";
        let index = 0;
        for (const child of node.namedChildren) {
          if (child === null) continue;
          const part = this.staticValue(child, first && index === 0);
          if (part === undefined) return undefined;
          value += part;
          index++;
        }
        // Unnamed pieces (a bare "$" or "{") make the text more than its named children.
        return node.namedChildren.length === node.children.length ? value : undefined;
      }
      default:
        return undefined;
    }
  }
}

/** $'…' escapes; an escape this does not know makes the word non-static rather than guessed. */
function ansiC(body: string): string | undefined {
  const simple: Record<string, string> = {
    n: "\n",
    t: "\t",
    r: "\r",
    a: "\x07",
    b: "\b",
    e: "\x1b",
    E: "\x1b",
    f: "\f",
    v: "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
  };
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = body[i + 1];
    if (next === undefined) return undefined;
    if (simple[next] !== undefined) {
      out += simple[next];
      i++;
      continue;
    }
    const hex = /^x([0-9A-Fa-f]{1,2})/.exec(body.slice(i + 1));
    if (hex) {
      out += String.fromCharCode(Number.parseInt(hex[1]!, 16));
      i += hex[0].length;
      continue;
    }
    const octal = /^[0-7]{1,3}/.exec(body.slice(i + 1));
    if (octal) {
      out += String.fromCharCode(Number.parseInt(octal[0], 8));
      i += octal[0].length;
      continue;
    }
    return undefined;
  }
  return out;
}

/** The command is a link of the one top-level `&&` chain of the line (see RawCommand.chained). */
function isChainLink(command: Node): boolean {
  let node = command;
  for (let parent = node.parent; parent !== null; node = parent, parent = node.parent) {
    if (parent.type === "program") return parent.namedChildren.filter((child) => child !== null && child.type !== "comment").length === 1;
    if (parent.type === "redirected_statement" && parent.childForFieldName("body")?.id === node.id) continue;
    if (parent.type === "list" && parent.children.some((child) => child?.type === "&&")) continue;
    return false;
  }
  return false;
}
