/*
 * Mixed-script words: "pаypаl" with a Cyrillic "а" looks like "paypal" and is not. The rule is
 * Unicode's "highly restrictive" level (UTS #39 §5.2), applied per word: the letters of one word
 * must all come from one script, or from one of the combinations that CJK writing uses with
 * Latin (Latin + Han + Hiragana + Katakana; Latin + Han + Bopomofo; Latin + Han + Hangul).
 * A word is a run of letters and combining marks; digits, punctuation, spaces and symbols end it,
 * so "file2.txt", "v1.2-beta", "東京Tower" and "Lösche «файл»" are not flagged. Letters of the
 * Common and Inherited scripts (e.g. "ª", combining accents) never make a word mixed.
 */
const SCRIPT_NAMES = [
  "Latin",
  "Greek",
  "Cyrillic",
  "Armenian",
  "Hebrew",
  "Arabic",
  "Syriac",
  "Thaana",
  "Nko",
  "Devanagari",
  "Bengali",
  "Gurmukhi",
  "Gujarati",
  "Oriya",
  "Tamil",
  "Telugu",
  "Kannada",
  "Malayalam",
  "Sinhala",
  "Thai",
  "Lao",
  "Tibetan",
  "Myanmar",
  "Georgian",
  "Hangul",
  "Ethiopic",
  "Cherokee",
  "Canadian_Aboriginal",
  "Ogham",
  "Runic",
  "Khmer",
  "Mongolian",
  "Hiragana",
  "Katakana",
  "Bopomofo",
  "Han",
  "Yi",
  "Coptic",
  "Glagolitic",
  "Tifinagh",
  "Vai",
  "Lisu",
  "Osage",
  "Adlam",
  "Gothic",
  "Deseret",
] as const;

/*
 * Built on the first letter that needs them: building ~45 Script= property classes cost every
 * process that loads the protocol (the coding-agent hook on every tool call) about 1 ms.
 */
let scripts: readonly { name: string; pattern: RegExp }[] | undefined;
function scriptPatterns(): readonly { name: string; pattern: RegExp }[] {
  scripts ??= SCRIPT_NAMES.map((name) => ({ name: name.replace("_", " "), pattern: new RegExp(`^\\p{Script=${name}}$`, "u") }));
  return scripts;
}
const NEUTRAL = /^[\p{Script=Common}\p{Script=Inherited}]$/u;
const LETTER = /^\p{L}$/u;
/** A letter of a script not listed above: still a script of its own for the rule. */
const OTHER_SCRIPT = "other script";

const ALLOWED_COMBINATIONS: readonly ReadonlySet<string>[] = [
  new Set(["Latin", "Han", "Hiragana", "Katakana"]),
  new Set(["Latin", "Han", "Bopomofo"]),
  new Set(["Latin", "Han", "Hangul"]),
];

const scriptCache = new Map<number, string | undefined>();

/** The script a letter belongs to, or undefined for Common/Inherited letters and non-letters. */
function scriptOf(char: string): string | undefined {
  const cp = char.codePointAt(0)!;
  if (scriptCache.has(cp)) return scriptCache.get(cp);
  let script: string | undefined;
  if (LETTER.test(char) && !NEUTRAL.test(char)) {
    script = scriptPatterns().find((s) => s.pattern.test(char))?.name ?? OTHER_SCRIPT;
  }
  scriptCache.set(cp, script);
  return script;
}

/** The scripts of a word in order of first appearance when they break the rule, else undefined. */
export function mixedScripts(word: string): string[] | undefined {
  const scripts: string[] = [];
  for (const char of word) {
    const script = scriptOf(char);
    if (script !== undefined && !scripts.includes(script)) scripts.push(script);
  }
  if (scripts.length < 2) return undefined;
  if (ALLOWED_COMBINATIONS.some((allowed) => scripts.every((s) => allowed.has(s)))) return undefined;
  return scripts;
}

/** Letters and combining marks: what a word is made of. */
export const WORD_CHARACTER = /^[\p{L}\p{M}]$/u;
