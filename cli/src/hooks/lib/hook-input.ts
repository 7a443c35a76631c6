import { readSync } from "node:fs";
import { isAbsolute } from "node:path";
import { decodeUtf8Strict, findDuplicateMemberName, HitlError } from "@hitl/verifier/protocol";

/**
 * The largest hook input read. A Write of a big file arrives whole on stdin; beyond this the call
 * is refused rather than buffered (nothing that large could be shown to a human anyway).
 */
export const MAX_HOOK_INPUT_BYTES = 16 * 1024 * 1024;

/** The fields of a tool hook's stdin that hitl uses; the same names in all three agents. */
export interface HookInput {
  toolName: string;
  toolInput: Record<string, unknown>;
  /** The agent's working directory (absolute), where the tool will run. */
  cwd: string;
  /** The event the agent says it is firing, checked against the one hitl was installed on. */
  event: string;
}

/**
 * Read a file descriptor (stdin: 0) to the end, at most `limit` bytes; more is ERR_TOO_LARGE (the
 * rest is not read). Synchronous reads: process.stdin would build a net.Socket stream for a pipe,
 * a cost every allowed call would pay. A non-blocking descriptor (EAGAIN) waits for readability.
 */
export async function readBounded(fd: number, limit = MAX_HOOK_INPUT_BYTES): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let read: number;
    try {
      read = readSync(fd, chunk, 0, chunk.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
      continue;
    }
    if (read === 0) return Buffer.concat(chunks, total);
    total += read;
    if (total > limit) {
      throw new HitlError(
        "ERR_TOO_LARGE",
        `The hook input is larger than ${limit} bytes; hitl refuses to judge a call it cannot read whole.`,
      );
    }
    chunks.push(chunk.subarray(0, read));
  }
}

/**
 * Strict reading, in order: UTF-8 (never replaced), JSON, unique member names (JSON.parse keeps
 * the last of two equal names and another reader the first, so a duplicate "command" could mean
 * one thing here and another to the agent), then the fields. Every problem is ERR_MALFORMED.
 */
export function parseHookInput(bytes: Uint8Array, expectedEvent: string): HookInput {
  if (bytes.length === 0)
    throw new HitlError("ERR_MALFORMED", "The hook got no input on stdin; an agent always sends the tool call as JSON.");
  const text = decodeUtf8Strict(bytes, "The hook input");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HitlError("ERR_MALFORMED", "The hook input is not valid JSON.");
  }
  const duplicate = findDuplicateMemberName(text);
  if (duplicate !== undefined) {
    throw new HitlError(
      "ERR_MALFORMED",
      `The hook input repeats the member name ${JSON.stringify(duplicate).slice(0, 80)}; duplicate names are ambiguous and refused.`,
    );
  }
  if (!isRecord(value)) throw new HitlError("ERR_MALFORMED", "The hook input is not a JSON object.");
  const { tool_name: toolName, tool_input: toolInput, cwd, hook_event_name: event } = value;
  if (typeof event !== "string" || event !== expectedEvent) {
    throw new HitlError(
      "ERR_MALFORMED",
      `The hook input is for the event ${JSON.stringify(event)}, not ${expectedEvent}; install hitl with 'hitl hook install' so it runs on ${expectedEvent}.`,
    );
  }
  if (typeof toolName !== "string" || toolName.length === 0)
    throw new HitlError("ERR_MALFORMED", "The hook input has no tool_name string.");
  if (!isRecord(toolInput)) throw new HitlError("ERR_MALFORMED", "The hook input's tool_input is not a JSON object.");
  if (typeof cwd !== "string" || !isAbsolute(cwd)) throw new HitlError("ERR_MALFORMED", "The hook input's cwd is not an absolute path.");
  return { toolName, toolInput, cwd, event };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
