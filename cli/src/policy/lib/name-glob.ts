/**
 * Globs for names, arguments and URLs: * (any characters, "/" included), ? (one character) and
 * [abc] / [!abc] classes; everything else is literal. Compiled once per pattern.
 */
const CACHE = new Map<string, RegExp | string>();

export function nameMatches(pattern: string, value: string): boolean {
  let compiled = CACHE.get(pattern);
  if (compiled === undefined) {
    compiled = /[*?[]/.test(pattern) ? compile(pattern) : pattern;
    CACHE.set(pattern, compiled);
  }
  return typeof compiled === "string" ? compiled === value : compiled.test(value);
}

export function anyNameMatches(patterns: readonly string[], value: string): boolean {
  return patterns.some((pattern) => nameMatches(pattern, value));
}

function compile(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") source += "[\\s\\S]*";
    else if (c === "?") source += "[\\s\\S]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) {
        source += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      source += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = end;
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "u");
}
