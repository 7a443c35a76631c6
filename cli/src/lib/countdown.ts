/**
 * The live "Waiting for approval in your browser… 57s" line, on stderr and only on a terminal:
 * a log file or a calling program gets no carriage returns. Cleared before anything else prints.
 */
export interface Countdown {
  /** Say something else before the seconds (e.g. the browser connection was lost); redraws now. */
  setLabel(label: string): void;
  stop(): void;
}

export function startCountdown(
  label: string,
  expiresAtSeconds: number,
  stream: NodeJS.WriteStream = process.stderr,
  clock: () => number = Date.now,
  env: NodeJS.ProcessEnv = process.env,
): Countdown {
  // TERM=dumb cannot erase a line: no redrawn countdown there either.
  if (!stream.isTTY || env.TERM === "dumb") return { setLabel() {}, stop() {} };
  // NO_COLOR asks for no escape codes at all: the line is then overwritten with spaces instead.
  const plain = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  let drawn = 0;
  const erase = (): string => (!plain ? "\r\u001b[2K" : drawn === 0 ? "\r" : `\r${" ".repeat(drawn)}\r`);
  let stopped = false;
  let current = label;
  const draw = (): void => {
    const left = Math.max(0, Math.ceil(expiresAtSeconds - clock() / 1000));
    // Past expiry we still wait a moment for the host's own verdict; say so rather than "0s".
    const line = `${current}… ${left > 0 ? `${left}s` : "time is up, waiting for the signing host"}`;
    stream.write(`${erase()}${line}`);
    drawn = line.length;
  };
  draw();
  const timer = setInterval(draw, 1000);
  timer.unref();
  return {
    setLabel(next) {
      if (stopped) return;
      current = next;
      draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write(erase());
    },
  };
}
