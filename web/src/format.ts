import type { Lang } from './i18n';

// Intl formatters are costly to build and tables format thousands of cells: cache per language.
const intCache = new Map<string, Intl.NumberFormat>();

function formatter(lang: Lang, maxFrac: number): Intl.NumberFormat {
  const key = `${lang}:${maxFrac}`;
  let f = intCache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(lang, { maximumFractionDigits: maxFrac });
    intCache.set(key, f);
  }
  return f;
}

/** Integer with the locale's thousands separators ("1,234,567"). */
export function formatInt(n: number | null | undefined, lang: Lang): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return formatter(lang, 0).format(n);
}

/** Rates such as packets per second: one decimal is enough to compare. */
export function formatRate(n: number | null | undefined, lang: Lang): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return formatter(lang, n < 10 ? 2 : 1).format(n);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes in binary units, as capture tools print them. */
export function formatBytes(n: number | null | undefined, lang: Lang): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${formatter(lang, u === 0 ? 0 : 1).format(v)} ${UNITS[u]}`;
}

/**
 * A time as "2026-11-24 08:00:00Z": always UTC, because the telescope's data, the API and
 * the range selector are all UTC and a local clock would make times hard to compare.
 * Accepts RFC 3339 strings and Unix seconds.
 */
export function formatTime(v: string | number | null | undefined): string {
  if (v === null || v === undefined || v === '') return '—';
  const ms = typeof v === 'number' ? v * 1000 : Date.parse(v);
  if (Number.isNaN(ms)) return String(v);
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/**
 * A time to the millisecond ("2026-12-07 23:40:01.123Z"), for records seconds apart such as
 * a decoy session's. Text that is not a time is returned as it is.
 */
export function formatTimeMs(v: string | null | undefined): string {
  if (v === null || v === undefined || v === '') return '—';
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return v;
  return new Date(ms).toISOString().replace('T', ' ');
}

/** RFC 3339 UTC without milliseconds, the form the API documents. */
export function toRfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Value for `<input type=datetime-local>` holding a UTC time ("2026-11-24T08:00"). */
export function toDatetimeLocal(iso: string | null | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  return new Date(ms).toISOString().slice(0, 16);
}

/** Inverse of toDatetimeLocal: the input's value read as UTC. */
export function fromDatetimeLocal(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return undefined;
  const ms = Date.parse(value.length === 16 ? `${value}:00Z` : `${value}Z`);
  return Number.isNaN(ms) ? undefined : toRfc3339(ms);
}
