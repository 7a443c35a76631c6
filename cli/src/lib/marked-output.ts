import { type MarkTextOptions, markText } from "@hitl/verifier/protocol";

/*
 * Free text from a request (the action, its details, an audience, a name) printed the way the
 * approval window shows it: the same rules (@hitl/verifier/protocol mark-text.ts), so every
 * invisible or control character, run of blank lines or mixed-script word becomes a ⟨…⟩ marker.
 * On a colour terminal the markers are in reverse video and mixed-script words underlined;
 * with TERM=dumb, NO_COLOR, or when the stream is not a terminal, plain marker text only.
 */
const REVERSE = ["\u001b[7m", "\u001b[27m"] as const;
const UNDERLINE = ["\u001b[4m", "\u001b[24m"] as const;

export interface MarkedOutputOptions extends MarkTextOptions {
  /** Prefix for every line after the first (to keep a multi-line action visibly one block). */
  indent?: string;
}

/** Whether escape codes may be written to this stream. */
export function usesColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (stream.isTTY !== true) return false;
  if (env.TERM === "dumb") return false;
  return env.NO_COLOR === undefined || env.NO_COLOR === "";
}

export function markedForTerminal(text: string, colour: boolean, options: MarkedOutputOptions = {}): string {
  const { indent = "", ...markOptions } = options;
  const [on, off] = colour ? REVERSE : ["", ""];
  const [underline, plain] = colour ? UNDERLINE : ["", ""];
  let out = "";
  for (const segment of markText(text, markOptions).segments) {
    if (segment.kind === "text") out += segment.text;
    else if (segment.kind === "mixed-script") out += `${underline}${segment.text}${plain}${on}${segment.label}${off}`;
    else out += `${on}${segment.label}${off}`;
  }
  return indent === "" ? out : out.replaceAll("\n", `\n${indent}`);
}
