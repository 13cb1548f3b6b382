import { describe, expect, it } from 'vitest';
import { axisTime, nonEmpty, stack } from '../src/chart';
import { countBy, summariseVulns } from '../src/pages/survey';
import { alpha2ToNumeric, countryLabel, numericToAlpha2 } from '../src/i18n/countries';

describe('chart helpers', () => {
  it('stacks running sums', () => {
    expect(stack([[1, 2], [3, 4], [0, 1]])).toEqual([[1, 2], [4, 6], [4, 7]]);
    expect(stack([])).toEqual([]);
  });
  it('drops categories without packets', () => {
    const r = nonEmpty({ bucket_secs: 60, t: [0, 60], categories: ['tcp_syn', 'udp', 'icmp'], counts: [[1, 0], [0, 0], [0, 2]] });
    expect(r).toEqual({ categories: ['tcp_syn', 'icmp'], counts: [[1, 0], [0, 2]] });
  });
  it('labels axis ticks in UTC', () => {
    const t = Date.parse('2026-11-24T08:30:00Z') / 1000;
    expect(axisTime(t, 600)).toBe('08:30');
    expect(axisTime(t, 6 * 3600)).toBe('11-24 08:30');
    expect(axisTime(t, 86400)).toBe('11-24');
  });
});

describe('country codes', () => {
  it('maps world-atlas numeric ids to alpha-2 and back', () => {
    expect(numericToAlpha2('392')).toBe('JP');
    expect(numericToAlpha2('036')).toBe('AU');
    expect(numericToAlpha2('36')).toBe('AU');
    expect(numericToAlpha2(undefined)).toBeUndefined();
    expect(alpha2ToNumeric('jp')).toBe('392');
  });
  it('labels countries with code and name', () => {
    expect(countryLabel('JP', 'ja')).toBe('JP 日本');
    expect(countryLabel('JP', 'en')).toBe('JP Japan');
    expect(countryLabel(null, 'en')).toBe('');
    expect(countryLabel('XX', 'en')).toBe('XX');
    expect(countryLabel('TW', 'en')).toBe('TW Taiwan');
    expect(countryLabel('TW', 'ja')).toBe('TW 台湾');
    expect(countryLabel('CN', 'en')).toBe('CN China');
    expect(countryLabel('CN', 'ja')).toBe('CN 中国');
    expect(countryLabel('KR', 'ja')).toBe('KR 韓国');
  });
});

describe('survey summaries', () => {
  const devices = [
    { device_type: 'camera', vendor: 'A', vulnerabilities: [{ cve: 'CVE-1', kev: false, cvss: 9.8 }, { cve: 'CVE-2', kev: true, cvss: 7.5 }] },
    { device_type: 'camera', vendor: null, vulnerabilities: [{ cve: 'CVE-2', kev: true, cvss: 7.5 }] },
    { device_type: 'router', vendor: 'A', vulnerabilities: [{ cve: 'CVE-3', kev: false, cvss: null }] },
  ];
  it('puts known-exploited vulnerabilities first', () => {
    expect(summariseVulns(devices).map((v) => [v.cve, v.kev, v.devices])).toEqual([
      ['CVE-2', true, 2],
      ['CVE-1', false, 1],
      ['CVE-3', false, 1],
    ]);
  });
  it('counts devices by a key', () => {
    expect(countBy(devices, (d) => d.device_type)).toEqual([['camera', 2], ['router', 1]]);
    expect(countBy(devices, (d) => d.vendor)).toEqual([['A', 2], ['', 1]]);
    // A fingerprint's literal "unknown" is the same row as a missing value.
    const unknowns = [{ vendor: 'unknown' }, { vendor: null }, { vendor: 'Unknown' }] as typeof devices;
    expect(countBy(unknowns, (d) => d.vendor)).toEqual([['', 3]]);
  });
});

describe('sensors page helpers', () => {
  it('writes lags as people read them', async () => {
    const { lagText } = await import('../src/pages/sensors');
    expect(lagText(0)).toBe('0 s');
    expect(lagText(-3)).toBe('0 s');
    expect(lagText(119)).toBe('119 s');
    expect(lagText(120)).toBe('2 min');
    expect(lagText(7199)).toBe('119 min');
    expect(lagText(7200)).toBe('2 h');
    expect(lagText(7500)).toBe('2 h 5 min');
    expect(lagText(3 * 86400 + 5)).toBe('3 d');
  });
  it('counts frames not analysed', async () => {
    const { notAnalysed } = await import('../src/pages/sensors');
    expect(notAnalysed({ undecodable: 2, late: 3 })).toBe(5);
  });
});
