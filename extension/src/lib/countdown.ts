/** "4:05", "0:09", "1:02:03": the time left until `expSeconds`, never negative. */
export function formatRemaining(expSeconds: number, nowMs: number): string {
  const left = Math.max(0, Math.ceil(expSeconds - nowMs / 1000));
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export function secondsLeft(expSeconds: number, nowMs: number): number {
  return Math.max(0, Math.ceil(expSeconds - nowMs / 1000));
}
