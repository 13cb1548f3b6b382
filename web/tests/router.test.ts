import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute, safeNext } from '../src/router';

describe('parseRoute', () => {
  it('defaults to the overview', () => {
    expect(parseRoute('')).toEqual({ page: 'overview', query: {} });
    expect(parseRoute('#')).toEqual({ page: 'overview', query: {} });
    expect(parseRoute('#/')).toEqual({ page: 'overview', query: {} });
  });
  it('reads simple pages and their query', () => {
    expect(parseRoute('#/sources?country=JP&scanners=true')).toEqual({ page: 'sources', query: { country: 'JP', scanners: 'true' } });
    expect(parseRoute('#/overview?from=2026-11-24T07%3A00%3A00Z&to=2026-11-24T08:00:00Z')).toEqual({
      page: 'overview',
      query: { from: '2026-11-24T07:00:00Z', to: '2026-11-24T08:00:00Z' },
    });
    for (const p of ['attacks', 'survey', 'intel', 'login'] as const) expect(parseRoute(`#/${p}`).page).toBe(p);
  });
  it('reads source addresses, IPv6 included', () => {
    expect(parseRoute('#/source/192.0.2.1')).toEqual({ page: 'source', address: '192.0.2.1', query: {} });
    expect(parseRoute('#/source/2001%3Adb8%3A%3A1?from=x')).toEqual({ page: 'source', address: '2001:db8::1', query: { from: 'x' } });
    expect(parseRoute('#/source/2001:db8::1').address).toBe('2001:db8::1');
  });
  it('rejects unknown routes', () => {
    expect(parseRoute('#/nope').page).toBe('notfound');
    expect(parseRoute('#/source').page).toBe('notfound');
    expect(parseRoute('#/sources/extra').page).toBe('notfound');
    expect(parseRoute('#/source/%E0%A4%A').page).toBe('notfound');
  });
  it('reads the login redirect', () => {
    const r = parseRoute('#/login?next=%2Fsources%3Fcountry%3DJP&expired=1');
    expect(r).toEqual({ page: 'login', query: { next: '/sources?country=JP', expired: '1' } });
  });
});

describe('formatRoute', () => {
  it('drops empty values and round-trips', () => {
    expect(formatRoute('sources', { country: 'JP', tool: undefined, cursor: '' })).toBe('#/sources?country=JP');
    expect(formatRoute('overview')).toBe('#/overview');
    const h = formatRoute('source', { from: '2026-11-24T07:00:00Z' }, '2001:db8::1');
    expect(parseRoute(h)).toEqual({ page: 'source', address: '2001:db8::1', query: { from: '2026-11-24T07:00:00Z' } });
  });
});

describe('safeNext', () => {
  it('allows our own routes only', () => {
    expect(safeNext('/sources?country=JP')).toBe('#/sources?country=JP');
    expect(safeNext(undefined)).toBe('#/overview');
    expect(safeNext('//evil.example/')).toBe('#/overview');
    expect(safeNext('https://evil.example/')).toBe('#/overview');
    expect(safeNext('/login?next=/x')).toBe('#/overview');
    expect(safeNext('/nope')).toBe('#/overview');
  });
});
