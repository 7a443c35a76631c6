import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../../cli/dist/bin.cjs", import.meta.url));

/** `node cli/dist/bin.js server --insecure-http --port 0` (needs `pnpm build`); resolves with its URL, or rejects with its stderr. */
export async function startHitlServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, "server", "--insecure-http", "--host", "127.0.0.1", "--port", "0"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk) => {
    err += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hitl server did not start: ${err}`)), 15_000);
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/[^ ]+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hitl server exited with ${code}: ${err}`));
    });
  });
  return { child, url };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(child.pid, "SIGTERM");
  await exited;
}
