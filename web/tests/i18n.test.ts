import { describe, expect, it } from 'vitest';
import { en } from '../src/i18n/en';
import { ja } from '../src/i18n/ja';
import { interpolate, langFromNavigator, translate } from '../src/i18n';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n tables', () => {
  it('every English key exists in Japanese', () => {
    const missing = Object.keys(en).filter((k) => !(k in ja));
    expect(missing).toEqual([]);
  });
  it('every Japanese key exists in English', () => {
    const extra = Object.keys(ja).filter((k) => !(k in en));
    expect(extra).toEqual([]);
  });
  it('no string is empty', () => {
    for (const table of [en, ja] as Record<string, string>[]) {
      for (const [k, v] of Object.entries(table)) expect(v.trim(), k).not.toBe('');
    }
  });
  it('both languages use the same placeholders', () => {
    for (const k of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(ja[k]), k).toEqual(placeholders(en[k]));
    }
  });
  it('the Japanese table is actually Japanese for the page titles', () => {
    expect(ja['overview.title']).toBe('概要');
    expect(ja['sources.title']).toBe('送信元');
    expect(ja['login.title']).toBe('ログイン');
  });
});

describe('i18n helpers', () => {
  it('picks ja for ja* browsers only', () => {
    expect(langFromNavigator('ja')).toBe('ja');
    expect(langFromNavigator('ja-JP')).toBe('ja');
    expect(langFromNavigator('JA-jp')).toBe('ja');
    expect(langFromNavigator('en-US')).toBe('en');
    expect(langFromNavigator('fr')).toBe('en');
    expect(langFromNavigator(undefined)).toBe('en');
  });
  it('interpolates parameters and leaves unknown ones visible', () => {
    expect(interpolate('{a} and {b}', { a: 1 })).toBe('1 and {b}');
    expect(translate('en', 'header.user', { user: 'alice' })).toBe('Logged in as alice');
    expect(translate('ja', 'header.user', { user: 'alice' })).toBe('alice でログイン中');
  });
});
