import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HealthResponseBody } from "../../verifier/dist/protocol/index.js";
import { type CliRun, type RunHitlOptions, runHitl } from "./cli.js";
import { httpJson } from "./http.js";

/**
 * What a browser session (Chromium or Firefox) offers the tests about the signing host the
 * browser started: its port, the CLI's environment, and the host's /health.
 */
export interface HostSession {
  readonly port: number;
  /** Environment for the CLI: the same HITL_* the browser (and so the host) got. */
  readonly env: NodeJS.ProcessEnv;
  readonly configDir: string;
  readonly stateDir: string;
  hitl(args: readonly string[], options?: RunHitlOptions): CliRun;
  health(): Promise<HealthResponseBody>;
  waitForHealth(predicate: (health: HealthResponseBody) => boolean, timeoutMs?: number): Promise<HealthResponseBody>;
  close(): Promise<void>;
}

/** A fresh temp root holding the browser profile and private (0700) config and state dirs. */
export function sessionDirs(prefix: string): { root: string; profileDir: string; configDir: string; stateDir: string } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dirs = { profileDir: join(root, "profile"), configDir: join(root, "config"), stateDir: join(root, "state") };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { root, ...dirs };
}

/** The HITL_* a browser passes on to the host it starts; the replay store is the embedded one, inside stateDir. */
export function hostEnv(port: number, dirs: { configDir: string; stateDir: string }, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...extra,
    HITL_PORT: String(port),
    HITL_CONFIG_DIR: dirs.configDir,
    HITL_STATE_DIR: dirs.stateDir,
  };
  delete env.HITL_REDIS_URL;
  return env;
}

/**
 * The parts of a session that talk to the host and run the CLI: `hitl` children are remembered
 * (killStarted() ends them by pid), /health records the host's pid (killHost() ends it by pid).
 * `context` adds what the browser logged to a waitForHealth failure.
 */
export function hostClient(
  port: number,
  env: NodeJS.ProcessEnv,
  context: () => string = () => "",
): Pick<HostSession, "hitl" | "health" | "waitForHealth"> & { killStarted(): void; killHost(): void } {
  const children = new Set<CliRun>();
  let hostPid: number | undefined;

  const health = async (): Promise<HealthResponseBody> => {
    const answer = await httpJson(port, "GET", "/health");
    if (answer.status !== 200) throw new Error(`GET /health answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const body = answer.body as HealthResponseBody;
    hostPid = body.host.pid;
    return body;
  };

  return {
    hitl(args, options) {
      const run = runHitl(args, env, options);
      children.add(run);
      void run.done.finally(() => children.delete(run));
      return run;
    },
    health,
    async waitForHealth(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < deadline) {
        try {
          const body = await health();
          if (predicate(body)) return body;
          last = body;
        } catch (error) {
          last = error instanceof Error ? error.message : error;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const logged = context();
      throw new Error(
        `The signing host did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)}${logged ? `\n${logged}` : ""}`,
      );
    },
    killStarted() {
      for (const run of children) run.signal("SIGKILL");
    },
    killHost() {
      // The browser normally takes its host down with it; make sure, by pid.
      if (hostPid !== undefined) killIfAlive(hostPid);
    },
  };
}

export function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 0);
  } catch {
    return;
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // exited meanwhile
  }
}
