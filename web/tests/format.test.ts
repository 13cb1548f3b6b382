import { describe, expect, it } from 'vitest';
import { formatBytes, formatInt, formatRate, formatTime, fromDatetimeLocal, toDatetimeLocal, toRfc3339 } from '../src/format';

describe('numbers', () => {
  it('uses the locale thousands separator', () => {
    expect(formatInt(1234567, 'en')).toBe('1,234,567');
    expect(formatInt(1234567, 'ja')).toBe('1,234,567');
    expect(formatInt(0, 'en')).toBe('0');
  });
  it('shows a dash for missing values', () => {
    expect(formatInt(null, 'en')).toBe('—');
    expect(formatInt(undefined, 'en')).toBe('—');
    expect(formatInt(Number.NaN, 'en')).toBe('—');
    expect(formatRate(undefined, 'en')).toBe('—');
  });
  it('rounds rates sensibly', () => {
    expect(formatRate(1234.567, 'en')).toBe('1,234.6');
    expect(formatRate(3.14159, 'en')).toBe('3.14');
  });
  it('formats bytes in binary units', () => {
    expect(formatBytes(512, 'en')).toBe('512 B');
    expect(formatBytes(1536, 'en')).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024, 'en')).toBe('5 MiB');
  });
});

describe('times', () => {
  it('shows UTC without milliseconds', () => {
    expect(formatTime('2026-11-24T08:00:00Z')).toBe('2026-11-24 08:00:00Z');
    expect(formatTime('2026-11-24T17:00:00+09:00')).toBe('2026-11-24 08:00:00Z');
    expect(formatTime(1795507200)).toBe('2026-11-24 08:00:00Z');
    expect(formatTime(null)).toBe('—');
    expect(formatTime('not a time')).toBe('not a time');
  });
  it('round-trips datetime-local values as UTC', () => {
    expect(toDatetimeLocal('2026-11-24T08:05:00Z')).toBe('2026-11-24T08:05');
    expect(fromDatetimeLocal('2026-11-24T08:05')).toBe('2026-11-24T08:05:00Z');
    expect(fromDatetimeLocal('2026-11-24T08:05:30')).toBe('2026-11-24T08:05:30Z');
    expect(fromDatetimeLocal('')).toBeUndefined();
    expect(fromDatetimeLocal('yesterday')).toBeUndefined();
    expect(toDatetimeLocal(undefined)).toBe('');
  });
  it('writes RFC 3339 the way the API documents it', () => {
    expect(toRfc3339(Date.parse('2026-11-24T08:00:00.123Z'))).toBe('2026-11-24T08:00:00Z');
  });
});
