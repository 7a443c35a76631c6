import { open } from "node:fs/promises";

/** How much of the log's end is read: the host's last start-up is in its last lines. */
const TAIL_BYTES = 64 * 1024;

/** Why the signing host last refused to start, as its log says (line `... ERROR host.cannot-start code="ERR_..."`). */
export interface HostStartFailure {
  /** The line's ISO time. */
  at: string;
  code: string;
}

/**
 * The last `host.cannot-start` line in the host's log when it comes after its last
 * `http.listening` (a later successful start makes it history); undefined when there is none or
 * the log cannot be read. The browser starts the host, so only its log says why it stopped.
 */
export async function lastStartFailure(logFile: string): Promise<HostStartFailure | undefined> {
  let text: string;
  try {
    const handle = await open(logFile, "r");
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      text = buffer.toString("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (/^\S+ INFO http\.listening\b/.test(line)) return undefined;
    const failed = /^(\S+) ERROR host\.cannot-start code="(ERR_[A-Z_]+)"/.exec(line);
    if (failed !== null) return { at: failed[1]!, code: failed[2]! };
  }
  return undefined;
}
