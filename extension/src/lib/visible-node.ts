import { el } from "./dom.js";
import { segmentText } from "./visible-text.js";

/**
 * Render text so that every character is accounted for: plain runs as text, invisible or
 * reordering characters as marked-up escapes. Returns the node and how many were escaped.
 */
export function visibleText(text: string, className: string): { node: HTMLElement; hidden: number } {
  const node = el("span", { className });
  let hidden = 0;
  for (const segment of segmentText(text)) {
    if (segment.kind === "text") {
      node.append(document.createTextNode(segment.text));
    } else {
      hidden++;
      node.append(
        el("span", { className: "hidden-char", text: segment.label, attrs: { title: "invisible or direction-changing character" } }),
      );
    }
  }
  return { node, hidden };
}
