// Following new data: a page whose range is a preset ("last hour") moves with the stored data
// when a live sensor adds minutes, so the overview's map, series and tables change as attacks
// happen without a reload. A custom range stays where the user put it.

import { computeRange, type RangeState } from './range';

/** How often the overview asks whether the stored data grew. */
export const FOLLOW_SECONDS = 15;

/**
 * The range to move to when the stored data now ends later than when the page was drawn,
 * counted back from the new end as the preset says; null to stay (a custom range, no data,
 * or nothing newer).
 */
export function followRange(
  range: RangeState,
  shownDataTo: string | null | undefined,
  fresh: { data_from?: string | null; data_to?: string | null },
): RangeState | null {
  if (range.preset === 'custom' || !fresh.data_to) return null;
  const now = Date.parse(fresh.data_to);
  if (Number.isNaN(now)) return null;
  if (shownDataTo) {
    const before = Date.parse(shownDataTo);
    if (!Number.isNaN(before) && now <= before) return null;
  }
  return { preset: range.preset, ...computeRange(range.preset, fresh.data_from, fresh.data_to) };
}
