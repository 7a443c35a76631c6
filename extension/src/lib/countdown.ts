/** "4:05", "0:09", "1:02:03": the time left until `expSeconds`, never negative. */
export function formatRemaining(expSeconds: number, nowMs: number): string {
  const left = secondsLeft(expSeconds, nowMs);
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export function secondsLeft(expSeconds: number, nowMs: number): number {
  return Math.max(0, Math.ceil(expSeconds - nowMs / 1000));
}

/**
 * Live "Expires in m:ss" in `label`; at expiry the page's buttons are disabled (the worker closes
 * the window and answers for it, a click after that could sign nothing valid anyway).
 */
export function startCountdown(label: HTMLElement, expSeconds: number, buttons: readonly HTMLButtonElement[]): void {
  const tick = () => {
    const left = secondsLeft(expSeconds, Date.now());
    label.textContent = left > 0 ? `Expires in ${formatRemaining(expSeconds, Date.now())}` : "Expired";
    label.classList.toggle("urgent", left <= 10);
    if (left === 0) {
      for (const button of buttons) button.disabled = true;
      clearInterval(timer);
    }
  };
  const timer = setInterval(tick, 250);
  tick();
}
