import { type MarkedText, type MarkTextOptions, markText } from "@hitl/verifier/protocol";
import { el } from "./dom.js";

export type MarkCounts = MarkedText["counts"];

const TITLES = {
  invisible: "invisible or direction-changing character",
  "blank-lines": "blank lines, collapsed so that nothing hides below them",
  blanks: "a long run of spaces, collapsed so that nothing hides beside it",
  "stacked-marks": "a stack of combining marks, collapsed so that it cannot draw over other lines",
  "mixed-script": "this word mixes letters of different scripts: it may imitate another word",
} as const;

/**
 * Render text so that every character is accounted for (rules in @hitl/verifier/protocol
 * mark-text.ts, the same the CLI prints): plain runs as text, markers as highlighted spans.
 */
export function visibleText(text: string, className: string, options: MarkTextOptions = {}): { node: HTMLElement; counts: MarkCounts } {
  const node = el("span", { className });
  const { segments, counts } = markText(text, options);
  for (const segment of segments) {
    if (segment.kind === "text") {
      node.append(document.createTextNode(segment.text));
      continue;
    }
    if (segment.kind === "mixed-script") node.append(el("span", { className: "mixed-script-word", text: segment.text }));
    node.append(el("span", { className: `marker ${segment.kind}`, text: segment.label, attrs: { title: TITLES[segment.kind] } }));
  }
  return { node, counts };
}

export function noMarks(): MarkCounts {
  return { invisible: 0, blankLines: 0, blanks: 0, mixedScript: 0, stackedMarks: 0 };
}

export function addMarks(total: MarkCounts, more: MarkCounts): void {
  total.invisible += more.invisible;
  total.blankLines += more.blankLines;
  total.blanks += more.blanks;
  total.mixedScript += more.mixedScript;
  total.stackedMarks += more.stackedMarks;
}

/** "3 invisible or direction-changing characters, 1 run of blank lines", or "" when nothing was marked. */
export function describeMarks(counts: MarkCounts): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const parts: string[] = [];
  if (counts.invisible > 0)
    parts.push(plural(counts.invisible, "invisible or direction-changing character", "invisible or direction-changing characters"));
  if (counts.blankLines > 0) parts.push(plural(counts.blankLines, "run of blank lines", "runs of blank lines"));
  if (counts.blanks > 0) parts.push(plural(counts.blanks, "long run of spaces", "long runs of spaces"));
  if (counts.stackedMarks > 0) parts.push(plural(counts.stackedMarks, "stack of combining marks", "stacks of combining marks"));
  if (counts.mixedScript > 0) parts.push(plural(counts.mixedScript, "word mixing scripts", "words mixing scripts"));
  return parts.join(", ");
}
