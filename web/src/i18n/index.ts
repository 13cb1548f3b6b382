import { en, type MessageKey } from './en';
import { ja } from './ja';

export type Lang = 'ja' | 'en';
export type { MessageKey };

const tables: Record<Lang, Record<MessageKey, string>> = { en, ja };
const STORAGE_KEY = 'yamori.lang';

let current: Lang = 'en';

/** `ja*` browsers get Japanese, everyone else English (the two languages we ship). */
export function langFromNavigator(navLang: string | undefined): Lang {
  return navLang && navLang.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export function isLang(v: unknown): v is Lang {
  return v === 'ja' || v === 'en';
}

/** The remembered choice wins over the browser's language. */
export function initialLang(): Lang {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled (private mode, policies); fall back to the browser language.
  }
  return isLang(stored) ? stored : langFromNavigator(navigator.language);
}

export function setLang(lang: Lang, remember = true): void {
  current = lang;
  document.documentElement.lang = lang;
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // Not remembered; the switch still works for this page load.
    }
  }
}

export function getLang(): Lang {
  return current;
}

/** Fills `{name}` placeholders; an unknown placeholder is left visible so it gets noticed. */
export function interpolate(template: string, params?: Record<string, string | number>): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export function translate(lang: Lang, key: MessageKey, params?: Record<string, string | number>): string {
  return interpolate(tables[lang][key], params);
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return translate(current, key, params);
}

export const messages = tables;
