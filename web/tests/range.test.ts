import { describe, expect, it } from 'vitest';
import { computeRange, rangeFromQuery, rangeToQuery } from '../src/range';

const FROM = '2026-11-17T00:00:00Z';
const TO = '2026-11-24T08:00:00Z';

describe('computeRange', () => {
  it('counts back from the end of the data', () => {
    expect(computeRange('1h', FROM, TO)).toEqual({ from: '2026-11-24T07:00:00Z', to: TO });
    expect(computeRange('6h', FROM, TO)).toEqual({ from: '2026-11-24T02:00:00Z', to: TO });
    expect(computeRange('24h', FROM, TO)).toEqual({ from: '2026-11-23T08:00:00Z', to: TO });
  });
  it('counts the full span even before the first stored minute', () => {
    expect(computeRange('7d', FROM, TO)).toEqual({ from: '2026-11-17T08:00:00Z', to: TO });
    expect(computeRange('24h', '2026-11-24T06:00:00Z', TO)).toEqual({ from: '2026-11-23T08:00:00Z', to: TO });
  });
  it('"all" spans the stored data', () => {
    expect(computeRange('all', FROM, TO)).toEqual({ from: FROM, to: TO });
    expect(computeRange('all', null, TO)).toEqual({ to: TO });
  });
  it('sends nothing when there is no data', () => {
    expect(computeRange('1h', null, null)).toEqual({});
    expect(computeRange('all', undefined, undefined)).toEqual({});
    expect(computeRange('1h', null, 'garbage')).toEqual({});
  });
});

describe('range in the URL', () => {
  it('defaults to the server default of 24 hours', () => {
    expect(rangeFromQuery({})).toEqual({ preset: '24h' });
  });
  it('keeps a preset with its bounds', () => {
    expect(rangeFromQuery({ range: '6h', from: 'a', to: 'b' })).toEqual({ preset: '6h', from: 'a', to: 'b' });
  });
  it('treats bounds without a preset as custom', () => {
    expect(rangeFromQuery({ from: FROM })).toEqual({ preset: 'custom', from: FROM, to: undefined });
    expect(rangeFromQuery({ range: 'bogus', to: TO })).toEqual({ preset: 'custom', from: undefined, to: TO });
  });
  it('round-trips', () => {
    expect(rangeToQuery({ preset: 'custom', from: FROM, to: TO })).toEqual({ range: undefined, from: FROM, to: TO });
    expect(rangeFromQuery(rangeToQuery({ preset: '1h', from: FROM, to: TO }) as Record<string, string>)).toEqual({ preset: '1h', from: FROM, to: TO });
  });
});

describe('following new data', () => {
  it('moves a preset range with the data and leaves a custom one', async () => {
    const { followRange } = await import('../src/follow');
    const shown = '2026-11-01T01:00:00Z';
    const fresh = { data_from: '2026-11-01T00:00:00Z', data_to: '2026-12-07T16:54:00Z' };
    expect(followRange({ preset: '1h' }, shown, fresh)).toEqual({
      preset: '1h',
      from: '2026-12-07T15:54:00Z',
      to: '2026-12-07T16:54:00Z',
    });
    expect(followRange({ preset: 'all' }, shown, fresh)).toEqual({
      preset: 'all',
      from: '2026-11-01T00:00:00Z',
      to: '2026-12-07T16:54:00Z',
    });
    expect(followRange({ preset: 'custom', from: shown }, shown, fresh)).toBeNull();
    expect(followRange({ preset: '24h' }, fresh.data_to, fresh)).toBeNull();
    expect(followRange({ preset: '24h' }, '2026-12-08T00:00:00Z', fresh)).toBeNull();
    expect(followRange({ preset: '24h' }, shown, { data_from: null, data_to: null })).toBeNull();
    // The first data of an empty store is followed too.
    expect(followRange({ preset: '1h' }, null, fresh)?.to).toBe('2026-12-07T16:54:00Z');
  });
});
