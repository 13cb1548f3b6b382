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
 * Short common names where the package's first ("official") name is the long formal one
 * ("People's Republic of China", 中華人民共和国): tables and tooltips have little room, and
 * these are the names people use in each language.
 */
const SHORT_NAMES: Record<Lang, Record<string, string>> = {
  en: {
    BN: 'Brunei',
    CD: 'DR Congo',
    CN: 'China',
    CZ: 'Czechia',
    IR: 'Iran',
    LA: 'Laos',
    MD: 'Moldova',
    MK: 'North Macedonia',
    PS: 'Palestine',
    RU: 'Russia',
    SY: 'Syria',
    TW: 'Taiwan',
    TZ: 'Tanzania',
    US: 'United States',
  },
  ja: {
    BN: 'ブルネイ',
    BO: 'ボリビア',
    CN: '中国',
    IR: 'イラン',
    KP: '北朝鮮',
    KR: '韓国',
    LA: 'ラオス',
    MD: 'モルドバ',
    RU: 'ロシア',
    SY: 'シリア',
    US: 'アメリカ',
    VE: 'ベネズエラ',
  },
};

/** The country's name in the UI language, or undefined for codes the table lacks. */
export function countryName(code: string, lang: Lang): string | undefined {
  const upper = code.toUpperCase();
  const short = SHORT_NAMES[lang][upper];
  if (short) return short;
  return countries.getName(upper, lang, { select: 'official' }) || undefined;
}

/** "JP 日本" / "JP Japan": the code stays visible so it can be searched and compared. */
export function countryLabel(code: string | null | undefined, lang: Lang): string {
  if (!code) return '';
  const name = countryName(code, lang);
  return name ? `${code} ${name}` : code;
}
