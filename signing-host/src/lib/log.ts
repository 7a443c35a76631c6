import { closeSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { makePrivateDirectorySync } from "@hitl/verifier";

/**
 * Field values are primitives only, so a receipt, a challenge or a key can never be logged by
 * passing an object by mistake. Log ids, codes and counts; never key material or whole documents.
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface HostLogger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  close(): void;
}

export const silentLogger: HostLogger = { info() {}, warn() {}, error() {}, close() {} };

function formatLine(level: string, event: string, fields: LogFields | undefined): string {
  let line = `${new Date().toISOString()} ${level} ${event}`;
  if (fields !== undefined) {
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) line += ` ${key}=${JSON.stringify(value)}`;
    }
  }
  return `${line}\n`;
}

/**
 * Appends to `path` (directory created 0700, file 0600). Writes are synchronous: the volume is a
 * few lines per request, and a line written just before exit must not be lost. If the file cannot
 * be opened the host still works and logs to stderr (never stdout: that carries the frames).
 */
export function openHostLog(path: string): HostLogger {
  let fd: number | undefined;
  let fallbackReason: string | undefined;
  try {
    makePrivateDirectorySync(dirname(path));
    fd = openSync(path, "a", 0o600);
  } catch (error) {
    fallbackReason = error instanceof Error ? error.message : String(error);
  }
  const write = (level: string, event: string, fields?: LogFields) => {
    const line = formatLine(level, event, fields);
    try {
      if (fd !== undefined) writeSync(fd, line);
      else process.stderr.write(line);
    } catch {
      // A full disk must not take the host down with it.
    }
  };
  if (fallbackReason !== undefined) write("WARN", "log.file-unavailable", { path, reason: fallbackReason });
  return {
    info: (event, fields) => write("INFO", event, fields),
    warn: (event, fields) => write("WARN", event, fields),
    error: (event, fields) => write("ERROR", event, fields),
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
