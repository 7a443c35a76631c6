/*
 * Approve must not be reachable for content the human never had on screen. The page has no
 * inner scroll box (everything scrolls with the page), and this tracks which vertical stretches
 * of the page have been inside the viewport, above the sticky action bar, since the request was
 * rendered. The request counts as read through once those stretches cover everything from the top
 * of the page to the end sentinel (placed after the last line of the request). An end sentinel
 * alone is not enough: End or a drag of the scrollbar reaches it while skipping the middle.
 */
export interface ReadThrough {
  /** Share of the request that has been on screen, 0..1. */
  readonly seen: number;
  readonly complete: boolean;
}

export function watchReadThrough(end: HTMLElement, bar: HTMLElement, onChange: (state: ReadThrough) => void): ReadThrough {
  let intervals: [number, number][] = [];
  let complete = false;
  let seen = 0;
  let width = window.innerWidth;

  const record = (): void => {
    if (complete) return;
    const bottom = end.getBoundingClientRect().top + window.scrollY;
    const top = window.scrollY;
    const visibleTo = top + Math.max(0, window.innerHeight - bar.offsetHeight);
    intervals = merge([...intervals, [top, visibleTo]]);
    // Covered from 0 to the first gap (whole CSS pixels: fractional layout must not keep it locked).
    const first = intervals[0];
    const reach = first !== undefined && first[0] <= 0 ? first[1] : 0;
    seen = bottom <= 0 ? 1 : Math.min(1, reach / bottom);
    complete = reach + 1 >= bottom;
    onChange({ seen, complete });
  };
  window.addEventListener("scroll", record, { passive: true });
  window.addEventListener("resize", () => {
    // New width = the text reflowed: what was seen no longer maps to the same positions.
    if (window.innerWidth !== width) intervals = [];
    width = window.innerWidth;
    record();
  });
  record();
  return {
    get seen() {
      return seen;
    },
    get complete() {
      return complete;
    },
  };
}

function merge(list: [number, number][]): [number, number][] {
  const sorted = list.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last !== undefined && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
