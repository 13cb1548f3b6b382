import * as countries from 'i18n-iso-countries';
import enCountries from 'i18n-iso-countries/langs/en.json';
import jaCountries from 'i18n-iso-countries/langs/ja.json';
import type { Lang } from './index';

// Only the two languages the dashboard speaks: every other locale would add ~10 kB each.
countries.registerLocale(enCountries);
countries.registerLocale(jaCountries);

/** world-atlas feature ids are ISO 3166-1 numeric strings ("392"); the API speaks alpha-2. */
export function numericToAlpha2(id: string | number | undefined): string | undefined {
  if (id === undefined || id === '') return undefined;
  return countries.numericToAlpha2(id);
}

export function alpha2ToNumeric(code: string): string | undefined {
  return countries.alpha2ToNumeric(code.toUpperCase());
}

/**
 * Names the dashboard shows differently from the package's "official" English name: the
 * common short name, as the Japanese table already uses.
 */
const EN_NAMES: Record<string, string> = { TW: 'Taiwan' };

/** The country's name in the UI language, or undefined for codes the table lacks. */
export function countryName(code: string, lang: Lang): string | undefined {
  const upper = code.toUpperCase();
  if (lang === 'en' && EN_NAMES[upper]) return EN_NAMES[upper];
  return countries.getName(upper, lang, { select: 'official' }) || undefined;
}

/** "JP 日本" / "JP Japan": the code stays visible so it can be searched and compared. */
export function countryLabel(code: string | null | undefined, lang: Lang): string {
  if (!code) return '';
  const name = countryName(code, lang);
  return name ? `${code} ${name}` : code;
}
