/**
 * Splits a byte stream into newline-delimited messages (the MCP stdio framing) without decoding
 * or copying more than needed: each line is handed over as the exact bytes received, with its
 * "\n", so a relay can forward it unchanged in one write.
 */
export class LineSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(
    private readonly onLine: (line: Buffer) => void,
    /** Longest line accepted; a longer one is a framing error (the relay stops). */
    private readonly maxLineBytes: number,
    private readonly onTooLong: () => void,
  ) {}

  /** No partial line is held: the next byte starts a line. */
  get idle(): boolean {
    return this.#pending.length === 0;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, end + 1);
      start = end + 1;
      if (this.#pending.length === 0) {
        this.onLine(piece);
      } else {
        this.#pending.push(piece);
        const line = Buffer.concat(this.#pending);
        this.#pending = [];
        this.#pendingBytes = 0;
        this.onLine(line);
      }
    }
    if (start < chunk.length) {
      this.#pending.push(chunk.subarray(start));
      this.#pendingBytes += chunk.length - start;
      if (this.#pendingBytes > this.maxLineBytes) {
        this.#pending = [];
        this.#pendingBytes = 0;
        this.onTooLong();
      }
    }
  }
}
