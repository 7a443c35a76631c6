import type { Readable, Writable } from "node:stream";
import { readHostSecret, resolvePaths } from "@hitl/verifier";
import { HitlError } from "@hitl/verifier/protocol";
import { createSigningServer, type SigningServer, type SigningServerOptions } from "./http/server.js";
import { describeLauncher, portFromEnv } from "./lib/launch-args.js";
import { type HostLogger, silentLogger } from "./lib/log.js";
import { ExtensionPort } from "./native/extension-port.js";
import { NativeMessageReader, NativeMessageWriter } from "./native/framing.js";
import { HOST_VERSION } from "./version.js";

export interface SigningHostOptions {
  /** Frames from the browser (the host's stdin). */
  input: Readable;
  /** Frames to the browser (the host's stdout). Nothing else is ever written to it. */
  output: Writable;
  /** HITL_PORT and the config dir (HITL_CONFIG_DIR, for the host secret) are read from here (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The arguments the browser passed (logged). */
  argv?: readonly string[];
  log?: HostLogger;
  handshakeTimeoutMs?: number;
  /** Overrides for tests: port (instead of HITL_PORT), limits, timeouts. */
  server?: Partial<Omit<SigningServerOptions, "extension" | "log" | "hostSecret">>;
}

export interface RunningSigningHost {
  /** The bound port, or undefined when the host could not start. */
  readonly port: number | undefined;
  readonly extension: ExtensionPort;
  /** Resolves with the process exit code once everything is shut down. */
  readonly exited: Promise<number>;
  /** Shut down now (SIGTERM); resolves like `exited`. */
  stop(): Promise<number>;
}

const SHUTDOWN_GRACE_MS = 1_000;

/**
 * The whole host life cycle: read frames, bind HTTP, then host.hello (or host.error and exit 1);
 * exit 0 when the browser closes the port (stdin ends), 1 on a broken link or handshake timeout.
 */
export async function runSigningHost(options: SigningHostOptions): Promise<RunningSigningHost> {
  const log = options.log ?? silentLogger;
  const { input, output } = options;
  log.info("host.started", { pid: process.pid, version: HOST_VERSION, ...describeLauncher(options.argv ?? []) });

  const writer = new NativeMessageWriter(output);
  let server: SigningServer | undefined;
  let stopping: Promise<number> | undefined;
  let resolveExited!: (code: number) => void;
  const exited = new Promise<number>((resolve) => {
    resolveExited = resolve;
  });

  const extension = new ExtensionPort({
    send: (message) => writer.write(message),
    log,
    ...(options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
    onClose: (reason) => void shutdown(reason === undefined ? 0 : 1),
  });

  const reader = new NativeMessageReader({
    onMessage: (value) => extension.receive(value),
    onError: (error, fatal) => {
      log.warn("native.frame-error", { code: error.code, reason: error.message, fatal });
      if (fatal) extension.close(error);
    },
  });

  const onData = (chunk: Buffer) => reader.push(chunk);
  const onEnd = () => {
    reader.end();
    log.info("native.input-ended");
    extension.close();
  };
  const onOutputError = (error: Error) => {
    log.warn("native.output-error", { reason: error.message });
    extension.close(new HitlError("ERR_EXTENSION_NOT_CONNECTED", "The browser stopped reading from the signing host."));
  };
  input.on("data", onData);
  input.once("end", onEnd);
  input.once("close", onEnd);
  output.on("error", onOutputError);

  function shutdown(code: number): Promise<number> {
    if (stopping !== undefined) return stopping;
    // Assigned before any work: extension.close() below calls back into shutdown() via onClose,
    // and that call must join this one, not start a second one with another exit code.
    let finish!: (code: number) => void;
    stopping = new Promise<number>((resolve) => {
      finish = resolve;
    });
    void (async () => {
      extension.close();
      // Pending requests were just answered 503; give those answers a moment to leave.
      const deadline = Date.now() + SHUTDOWN_GRACE_MS;
      while (server !== undefined && server.pendingCount > 0 && Date.now() < deadline) await delay(10);
      await server?.close().catch(() => {});
      await Promise.race([writer.flushed(), delay(SHUTDOWN_GRACE_MS)]);
      reader.close();
      input.off("data", onData);
      input.off("end", onEnd);
      input.off("close", onEnd);
      input.destroy();
      log.info("host.exit", { code });
      resolveExited(code);
      finish(code);
    })();
    return stopping;
  }

  // A broken HITL_PORT or host secret is reported to the extension like a taken port: host.error, then exit.
  const fail = (error: HitlError) => {
    log.error("host.cannot-start", { code: error.code, reason: error.message });
    try {
      writer.write({ type: "host.error", error: error.toJSON() });
    } catch {
      // The browser is already gone; the log has it.
    }
    void shutdown(1);
  };

  try {
    const env = options.env ?? process.env;
    const port = options.server?.port ?? portFromEnv(env);
    // No secret, no host: without it our answers could not be told from a stranger's.
    const hostSecret = readHostSecret(resolvePaths(env).hostSecretFile);
    server = await createSigningServer({ ...options.server, port, extension, log, hostSecret });
    await server.listen();
  } catch (error) {
    const hitlError =
      error instanceof HitlError
        ? error
        : new HitlError(
            "ERR_INTERNAL",
            `The signing host could not start its HTTP server: ${error instanceof Error ? error.message : String(error)}`,
          );
    server = undefined;
    fail(hitlError);
    return { port: undefined, extension, exited, stop: () => shutdown(1) };
  }

  const boundPort = server.port;
  if (stopping !== undefined) {
    // The browser went away while we were binding: shutdown() ran without a server to close.
    await server.close().catch(() => {});
  } else {
    extension.open({ hostVersion: HOST_VERSION, port: boundPort, pid: process.pid });
  }
  return { port: boundPort, extension, exited, stop: () => shutdown(0) };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
