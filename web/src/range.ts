import { toRfc3339 } from './format';

// The time range shared by overview, sources and attacks. Presets count back from the end of
// the stored data (not from "now"): a telescope may analyse captures days after they were taken.

export type Preset = '1h' | '6h' | '24h' | '7d' | 'all';
export const PRESETS: readonly Preset[] = ['1h', '6h', '24h', '7d', 'all'];

const SPAN_SECS: Record<Exclude<Preset, 'all'>, number> = {
  '1h': 3600,
  '6h': 6 * 3600,
  '24h': 24 * 3600,
  '7d': 7 * 24 * 3600,
};

export interface TimeRange {
  from?: string;
  to?: string;
}

/** What the URL says: a preset, or custom bounds, or nothing (the server's default: 24 h). */
export interface RangeState {
  preset: Preset | 'custom';
  from?: string;
  to?: string;
}

export function isPreset(v: unknown): v is Preset {
  return typeof v === 'string' && (PRESETS as readonly string[]).includes(v);
}

/**
 * from/to for a preset given the stored data's bounds. Without stored data there is
 * nothing to count back from, so no bounds are sent and the server picks its default.
 */
export function computeRange(preset: Preset, dataFrom: string | null | undefined, dataTo: string | null | undefined): TimeRange {
  if (!dataTo) return {};
  const end = Date.parse(dataTo);
  if (Number.isNaN(end)) return {};
  if (preset === 'all') {
    const start = dataFrom ? Date.parse(dataFrom) : NaN;
    return Number.isNaN(start) ? { to: toRfc3339(end) } : { from: toRfc3339(start), to: toRfc3339(end) };
  }
  // Exactly the span back from the end, even if it starts before the first stored minute:
  // the answer is the same, and "last 24 hours" then means the same thing on every install.
  return { from: toRfc3339(end - SPAN_SECS[preset] * 1000), to: toRfc3339(end) };
}

/** Reads the range from the route's query ("range=6h&from=...&to=..."). */
export function rangeFromQuery(q: Record<string, string>): RangeState {
  const from = q.from || undefined;
  const to = q.to || undefined;
  if (isPreset(q.range)) return { preset: q.range, from, to };
  if (from || to) return { preset: 'custom', from, to };
  // No range in the URL: the API's default is the last 24 hours of stored data.
  return { preset: '24h' };
}

/** Query entries for a range, to carry it across links. */
export function rangeToQuery(r: RangeState): Record<string, string | undefined> {
  return { range: r.preset === 'custom' ? undefined : r.preset, from: r.from, to: r.to };
}
