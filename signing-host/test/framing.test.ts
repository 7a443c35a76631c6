import { PassThrough } from "node:stream";
import type { HitlError } from "@hitl/verifier/protocol";
import { LIMITS } from "@hitl/verifier/protocol";
import { describe, expect, it } from "vitest";
import { encodeNativeMessage, NativeMessageReader, NativeMessageWriter } from "../src/native/framing.js";

/** Frames built independently of the module under test: 4-byte LE length + UTF-8 JSON. */
function frame(value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), "utf8");
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length, 0);
  return Buffer.concat([header, body]);
}

function rawFrame(body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length, 0);
  return Buffer.concat([header, body]);
}

function collect(maxMessageBytes?: number) {
  const messages: unknown[] = [];
  const errors: Array<{ error: HitlError; fatal: boolean }> = [];
  const reader = new NativeMessageReader({
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
    onMessage: (value) => messages.push(value),
    onError: (error, fatal) => errors.push({ error, fatal }),
  });
  return { reader, messages, errors };
}

const SAMPLES = [{ type: "extension.hello", text: "héllo 👋 עברית e\u0301" }, { type: "status.update", n: 1 }, [], ""];

describe("NativeMessageReader", () => {
  it("decodes a stream split at every possible byte boundary", () => {
    const stream = Buffer.concat(SAMPLES.map(frame));
    for (let cut = 0; cut <= stream.length; cut++) {
      const { reader, messages, errors } = collect();
      reader.push(stream.subarray(0, cut));
      reader.push(stream.subarray(cut));
      expect(errors).toEqual([]);
      expect(messages).toEqual(SAMPLES);
      expect(reader.state).toBe("reading-header");
    }
  });

  it("decodes a stream fed one byte at a time, and in one chunk", () => {
    const stream = Buffer.concat(SAMPLES.map(frame));
    const single = collect();
    for (const byte of stream) single.reader.push(Uint8Array.of(byte));
    expect(single.messages).toEqual(SAMPLES);
    const whole = collect();
    whole.reader.push(stream);
    expect(whole.messages).toEqual(SAMPLES);
  });

  it("reports its state while a frame is incomplete", () => {
    const { reader } = collect();
    const bytes = frame({ a: 1 });
    reader.push(bytes.subarray(0, 2));
    expect(reader.state).toBe("reading-header");
    reader.push(bytes.subarray(2, 6));
    expect(reader.state).toBe("reading-body");
    reader.push(bytes.subarray(6));
    expect(reader.state).toBe("reading-header");
  });

  it("rejects an oversized frame from its header alone and closes", () => {
    const { reader, messages, errors } = collect(16);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(17, 0);
    reader.push(header);
    expect(reader.state).toBe("closed");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.fatal).toBe(true);
    expect(errors[0]!.error).toMatchObject({
      code: "ERR_NATIVE_MESSAGE_TOO_LARGE",
      message:
        "A native message of 17 bytes exceeds the 16-byte limit; the connection was closed. Update the extension and the signing host to matching versions.",
    });
    // Nothing after the close is decoded, even a valid frame.
    reader.push(frame({ a: 1 }));
    expect(messages).toEqual([]);
  });

  it("accepts a frame exactly at the cap, and the default cap is 1 MiB", () => {
    const body = Buffer.from(JSON.stringify("x".repeat(14)));
    expect(body.length).toBe(16);
    const { reader, messages } = collect(16);
    reader.push(rawFrame(body));
    expect(messages).toEqual(["x".repeat(14)]);

    const big = collect();
    const header = Buffer.alloc(4);
    header.writeUInt32LE(LIMITS.nativeMessageBytes + 1, 0);
    big.reader.push(header);
    expect(big.errors[0]!.error.code).toBe("ERR_NATIVE_MESSAGE_TOO_LARGE");
  });

  it("reports invalid JSON and invalid UTF-8 without losing sync", () => {
    const { reader, messages, errors } = collect();
    reader.push(
      Buffer.concat([
        rawFrame(Buffer.from("{not json")),
        rawFrame(Buffer.from([0x22, 0xff, 0x22])),
        rawFrame(Buffer.alloc(0)),
        frame({ ok: true }),
      ]),
    );
    expect(messages).toEqual([{ ok: true }]);
    expect(errors.map((e) => [e.error.code, e.fatal])).toEqual([
      ["ERR_MALFORMED", false],
      ["ERR_MALFORMED", false],
      ["ERR_MALFORMED", false],
    ]);
    expect(errors[0]!.error.message).toBe("A native message of 9 bytes is not valid UTF-8 JSON; it was ignored.");
  });

  it("treats a stream that ends mid-frame as fatal, and a clean end as silent", () => {
    const partial = collect();
    partial.reader.push(frame({ a: 1 }).subarray(0, 7));
    partial.reader.end();
    expect(partial.reader.state).toBe("closed");
    expect(partial.errors[0]).toMatchObject({
      fatal: true,
      error: { code: "ERR_PROTOCOL", message: "The native-messaging stream ended in the middle of a message." },
    });

    const headerOnly = collect();
    headerOnly.reader.push(Uint8Array.of(1, 0));
    headerOnly.reader.end();
    expect(headerOnly.errors).toHaveLength(1);

    const clean = collect();
    clean.reader.push(frame({ a: 1 }));
    clean.reader.end();
    expect(clean.errors).toEqual([]);
    expect(clean.messages).toEqual([{ a: 1 }]);
  });
});

describe("encodeNativeMessage / NativeMessageWriter", () => {
  it("writes little-endian length + UTF-8 JSON", () => {
    const bytes = encodeNativeMessage({ s: "é" });
    expect([...bytes.subarray(0, 4)]).toEqual([10, 0, 0, 0]);
    expect(bytes.subarray(4).toString("utf8")).toBe('{"s":"é"}');
    expect(bytes.equals(frame({ s: "é" }))).toBe(true);
  });

  it("refuses host -> browser messages over 1 MiB and accepts exactly 1 MiB", () => {
    const overhead = JSON.stringify({ s: "" }).length;
    const exact = { s: "a".repeat(LIMITS.nativeMessageBytes - overhead) };
    expect(encodeNativeMessage(exact).length).toBe(LIMITS.nativeMessageBytes + 4);
    const over = { s: "a".repeat(LIMITS.nativeMessageBytes - overhead + 1) };
    expect(() => encodeNativeMessage(over)).toThrow(
      expect.objectContaining({
        code: "ERR_NATIVE_MESSAGE_TOO_LARGE",
        message: `A native message of ${LIMITS.nativeMessageBytes + 1} bytes exceeds the browser's ${LIMITS.nativeMessageBytes}-byte limit and was not sent.`,
      }),
    );
  });

  it("writes nothing at all for a refused message, and round-trips through the reader", async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    const writer = new NativeMessageWriter(stream, { maxMessageBytes: 64 });
    writer.write({ type: "host.hello", n: 1 });
    expect(() => writer.write({ s: "x".repeat(100) })).toThrow(expect.objectContaining({ code: "ERR_NATIVE_MESSAGE_TOO_LARGE" }));
    writer.write({ type: "status.request" });
    await writer.flushed();
    const { reader, messages } = collect();
    reader.push(Buffer.concat(chunks));
    expect(messages).toEqual([{ type: "host.hello", n: 1 }, { type: "status.request" }]);
  });

  it("refuses to write to a closed stream", () => {
    const stream = new PassThrough();
    stream.destroy();
    const writer = new NativeMessageWriter(stream);
    expect(() => writer.write({ a: 1 })).toThrow(
      expect.objectContaining({ code: "ERR_EXTENSION_NOT_CONNECTED", message: "The browser closed the native-messaging connection." }),
    );
  });
});
