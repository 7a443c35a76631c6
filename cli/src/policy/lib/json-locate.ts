/*
 * Line numbers for policy problems. JSON.parse is fast but says little about where; the policy
 * file is re-read with momoa (a JSON parser that keeps locations) only when something is wrong,
 * so a valid policy never pays for it.
 */
import type { DocumentNode, ElementNode, MemberNode, ValueNode } from "@humanwhocodes/momoa";

/** The line (1-based) of a JSON syntax error, with momoa's description of it. */
export async function syntaxErrorAt(text: string): Promise<{ line: number | undefined; reason: string }> {
  const { parse } = await import("@humanwhocodes/momoa");
  try {
    parse(text, { mode: "json" });
  } catch (error) {
    const { line, message } = error as { line?: unknown; message?: unknown };
    const reason = typeof message === "string" ? message.replace(/\s*\(\d+:\d+\)\s*$/, "") : "not valid JSON";
    return { line: typeof line === "number" ? line : undefined, reason: `not valid JSON: ${reason}` };
  }
  return { line: undefined, reason: "not valid JSON" };
}

/** The line of the value at a JSON pointer (the key's line for an object member); the nearest existing parent otherwise. */
export async function lineOf(text: string, at: readonly (string | number)[]): Promise<number | undefined> {
  const { parse } = await import("@humanwhocodes/momoa");
  let node: ValueNode | DocumentNode["body"];
  try {
    node = parse(text, { mode: "json" }).body;
  } catch {
    return undefined;
  }
  let line = node.loc.start.line;
  for (const segment of at) {
    if (node.type === "Object" && typeof segment === "string") {
      const member: MemberNode | undefined = node.members.find((m) => m.name.type === "String" && m.name.value === segment);
      if (member === undefined) return line;
      line = member.name.loc.start.line;
      node = member.value;
    } else if (node.type === "Array" && typeof segment === "number") {
      const element: ElementNode | undefined = node.elements[segment];
      if (element === undefined) return line;
      node = element.value;
      line = node.loc.start.line;
    } else {
      return line;
    }
  }
  return line;
}

/**
 * The first key that appears twice in one object of a text JSON.parse accepted (JSON.parse would
 * silently keep the last one), with its line. A scanner is enough: the text is known to be valid JSON.
 */
export function firstDuplicateKey(text: string): { key: string; line: number } | undefined {
  const stack: { keys: Set<string> | undefined; expectKey: boolean }[] = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    else if (c === "{") stack.push({ keys: new Set(), expectKey: true });
    else if (c === "[") stack.push({ keys: undefined, expectKey: false });
    else if (c === "}" || c === "]") stack.pop();
    else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top?.keys !== undefined) top.expectKey = true;
    } else if (c === '"') {
      let j = i + 1;
      let raw = "";
      while (text[j] !== '"') {
        if (text[j] === "\\") {
          raw += text.slice(j, j + 2);
          j += 2;
        } else {
          raw += text[j];
          j++;
        }
      }
      const top = stack[stack.length - 1];
      if (top?.keys !== undefined && top.expectKey) {
        const key = JSON.parse(`"${raw}"`) as string;
        if (top.keys.has(key)) return { key, line };
        top.keys.add(key);
        top.expectKey = false;
      }
      i = j;
    }
  }
  return undefined;
}
