import type { Route } from './router';
import type { RangeState, TimeRange } from './range';
import type { Range } from './api';

/** What main.ts hands every page. */
export interface PageContext {
  /** The page's own element; a newer navigation detaches it, so late writes go nowhere. */
  root: HTMLElement;
  route: Route;
  range: RangeState;
  /** Aborted when the user navigates away, to cancel the page's requests. */
  signal: AbortSignal;
  /** The overview reports the stored data's bounds; the range selector counts back from them. */
  noteDataBounds(r: Range): void;
  /** Called after a successful login so the header shows the user. */
  loggedIn(user: string): void;
  /**
   * Draws `hash` in place of the current route without a history entry and without moving
   * focus: for a page that moves itself (the overview following new data), not for a user's
   * navigation.
   */
  replaceRoute(hash: string): void;
}

/**
 * Runs `step` every `seconds` while the page is open: until `signal` aborts (the user went
 * elsewhere) or a step resolves to false. A step handles its own errors.
 */
export function everyWhileOpen(seconds: number, signal: AbortSignal, step: () => Promise<boolean>): void {
  const tick = async () => {
    if (signal.aborted) return;
    const again = await step();
    if (again && !signal.aborted) setTimeout(() => void tick(), seconds * 1000);
  };
  setTimeout(() => void tick(), seconds * 1000);
}

/** from/to to send to the API for the current range. */
export function apiRange(r: RangeState): TimeRange {
  return { from: r.from, to: r.to };
}
