import { type MarkTextOptions, markText } from "./mark-text.js";

/**
 * The text with its markers spelled out, as one string: what a terminal without colours, a log
 * file or a window title gets. Contains no invisible, bidi or control character except newline
 * and tab (and the zero-width joiners and U+FE0F inside emoji).
 */
export function markedPlainText(text: string, options: MarkTextOptions = {}): string {
  let out = "";
  for (const segment of markText(text, options).segments) {
    if (segment.kind === "text") out += segment.text;
    else if (segment.kind === "mixed-script") out += segment.text + segment.label;
    else out += segment.label;
  }
  return out;
}
