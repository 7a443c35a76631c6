/**
 * Lines from a stream (stdin), one at a time, only while someone asks: `hitl pair` reads the
 * code the pairing window shows. Works the same on a terminal (cooked mode: the terminal edits
 * the line and Ctrl-C stays a signal) and on a pipe. A line longer than `maxLineChars` is handed
 * over cut at that length (it cannot be a code; the caller refuses it) instead of being buffered.
 */
export interface LineReader {
  /** The next line without its line ending; undefined once the input ended or `signal` aborted. */
  next(signal?: AbortSignal): Promise<string | undefined>;
  /** Stop reading and let the process exit. */
  close(): void;
}

export function openLineReader(stream: NodeJS.ReadStream, maxLineChars = 256): LineReader {
  const lines: string[] = [];
  let partial = "";
  let ended = false;
  let started = false;
  let wake: (() => void) | undefined;

  const onData = (chunk: string): void => {
    partial += chunk;
    for (let end = partial.indexOf("\n"); end !== -1; end = partial.indexOf("\n")) {
      lines.push(partial.slice(0, end).replace(/\r$/, ""));
      partial = partial.slice(end + 1);
    }
    if (partial.length > maxLineChars) {
      lines.push(partial.slice(0, maxLineChars));
      partial = "";
    }
    wake?.();
  };
  const onEnd = (): void => {
    if (partial.length > 0) lines.push(partial);
    partial = "";
    ended = true;
    wake?.();
  };
  const start = (): void => {
    if (started) return;
    started = true;
    stream.setEncoding("utf8");
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("error", onEnd);
    stream.resume();
  };

  return {
    async next(signal) {
      start();
      while (lines.length === 0 && !ended && signal?.aborted !== true) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            wake = undefined;
            signal?.removeEventListener("abort", done);
            resolve();
          };
          wake = done;
          signal?.addEventListener("abort", done, { once: true });
        });
      }
      if (signal?.aborted === true) return undefined;
      return lines.shift();
    },
    close() {
      if (!started) return;
      stream.removeListener("data", onData);
      stream.removeListener("end", onEnd);
      stream.removeListener("error", onEnd);
      stream.pause();
      stream.destroy();
    },
  };
}
