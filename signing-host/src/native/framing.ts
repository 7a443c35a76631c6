import type { Writable } from "node:stream";
import { HitlError, LIMITS } from "@hitl/verifier/protocol";

/*
 * Native-messaging framing: every message is a 32-bit unsigned length in little-endian byte
 * order (Chrome and Firefox use native order, and every platform they support is little-endian)
 * followed by that many bytes of UTF-8 JSON. The same framing runs in both directions.
 */

const HEADER_BYTES = 4;

export type NativeReaderState = "reading-header" | "reading-body" | "closed";

export interface NativeMessageReaderOptions {
  /** Largest accepted body. Browser -> host has no practical browser limit, so we set one. */
  maxMessageBytes?: number;
  onMessage(value: unknown): void;
  /**
   * `fatal: true` means the reader closed itself (oversized frame, stream ended mid-frame): the
   * byte stream can no longer be trusted to be in sync. Invalid JSON inside a well-formed frame is
   * not fatal: the next frame still starts at a known offset.
   */
  onError(error: HitlError, fatal: boolean): void;
}

/** Incremental decoder, an explicit state machine; accepts chunks split at any byte. */
export class NativeMessageReader {
  #state: NativeReaderState = "reading-header";
  readonly #maxMessageBytes: number;
  readonly #onMessage: (value: unknown) => void;
  readonly #onError: (error: HitlError, fatal: boolean) => void;
  readonly #header = new Uint8Array(HEADER_BYTES);
  #headerFilled = 0;
  #body: Uint8Array = new Uint8Array(0);
  #bodyFilled = 0;
  // fatal: true rejects invalid UTF-8 instead of silently replacing it with U+FFFD.
  readonly #decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

  constructor(options: NativeMessageReaderOptions) {
    this.#maxMessageBytes = options.maxMessageBytes ?? LIMITS.nativeMessageBytes;
    this.#onMessage = options.onMessage;
    this.#onError = options.onError;
  }

  get state(): NativeReaderState {
    return this.#state;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length && this.#state !== "closed") {
      if (this.#state === "reading-header") {
        const take = Math.min(HEADER_BYTES - this.#headerFilled, chunk.length - offset);
        this.#header.set(chunk.subarray(offset, offset + take), this.#headerFilled);
        this.#headerFilled += take;
        offset += take;
        if (this.#headerFilled === HEADER_BYTES) this.#startBody();
      } else {
        const take = Math.min(this.#body.length - this.#bodyFilled, chunk.length - offset);
        this.#body.set(chunk.subarray(offset, offset + take), this.#bodyFilled);
        this.#bodyFilled += take;
        offset += take;
        if (this.#bodyFilled === this.#body.length) this.#finishBody();
      }
    }
  }

  /** The input stream ended. A partial frame at this point is an error. */
  end(): void {
    if (this.#state === "closed") return;
    const midFrame = this.#state === "reading-body" || this.#headerFilled > 0;
    this.#state = "closed";
    if (midFrame) {
      this.#onError(new HitlError("ERR_PROTOCOL", "The native-messaging stream ended in the middle of a message."), true);
    }
  }

  close(): void {
    this.#state = "closed";
    this.#body = new Uint8Array(0);
  }

  #startBody(): void {
    const length = new DataView(this.#header.buffer).getUint32(0, true);
    this.#headerFilled = 0;
    // Checked before allocating: a hostile length must not make us reserve gigabytes.
    if (length > this.#maxMessageBytes) {
      this.close();
      this.#onError(
        new HitlError(
          "ERR_NATIVE_MESSAGE_TOO_LARGE",
          `A native message of ${length} bytes exceeds the ${this.#maxMessageBytes}-byte limit; the connection was closed. Update the extension and the signing host to matching versions.`,
        ),
        true,
      );
      return;
    }
    this.#body = new Uint8Array(length);
    this.#bodyFilled = 0;
    this.#state = "reading-body";
    if (length === 0) this.#finishBody();
  }

  #finishBody(): void {
    const body = this.#body;
    this.#body = new Uint8Array(0);
    this.#state = "reading-header";
    let value: unknown;
    try {
      value = JSON.parse(this.#decoder.decode(body));
    } catch {
      this.#onError(
        new HitlError("ERR_MALFORMED", `A native message of ${body.length} bytes is not valid UTF-8 JSON; it was ignored.`),
        false,
      );
      return;
    }
    this.#onMessage(value);
  }
}

/** Encode one message; refuses anything over Chrome's 1 MiB host -> browser cap. */
export function encodeNativeMessage(message: unknown, maxMessageBytes: number = LIMITS.nativeMessageBytes): Buffer {
  const json = JSON.stringify(message);
  if (json === undefined) throw new HitlError("ERR_INTERNAL", "Only JSON values can be sent over native messaging.");
  const length = Buffer.byteLength(json, "utf8");
  if (length > maxMessageBytes) {
    throw new HitlError(
      "ERR_NATIVE_MESSAGE_TOO_LARGE",
      `A native message of ${length} bytes exceeds the browser's ${maxMessageBytes}-byte limit and was not sent.`,
    );
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame.writeUInt32LE(length, 0);
  frame.write(json, HEADER_BYTES, "utf8");
  return frame;
}

/**
 * Writes framed messages to a stream (the host's stdout). Oversized messages throw before a
 * single byte is written, so the stream never carries a truncated frame.
 */
export class NativeMessageWriter {
  readonly #output: Writable;
  readonly #maxMessageBytes: number;
  #inFlight = 0;
  #drained: Array<() => void> = [];

  constructor(output: Writable, options: { maxMessageBytes?: number } = {}) {
    this.#output = output;
    this.#maxMessageBytes = options.maxMessageBytes ?? LIMITS.nativeMessageBytes;
  }

  write(message: unknown): void {
    const frame = encodeNativeMessage(message, this.#maxMessageBytes);
    if (this.#output.destroyed || this.#output.writableEnded) {
      throw new HitlError("ERR_EXTENSION_NOT_CONNECTED", "The browser closed the native-messaging connection.");
    }
    this.#inFlight++;
    // Stream errors (EPIPE when the browser is gone) arrive on the stream's 'error' event.
    this.#output.write(frame, () => {
      this.#inFlight--;
      if (this.#inFlight === 0) for (const resolve of this.#drained.splice(0)) resolve();
    });
  }

  /** Resolves once every frame written so far has been handed to the OS (before exiting). */
  flushed(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }
}
