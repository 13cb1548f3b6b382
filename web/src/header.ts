// The header shown on every page: name, navigation, period, language, user and logout.

import { h } from './dom';
import { getLang, t, type MessageKey } from './i18n';
import { formatRoute, type PageName, type Route } from './router';
import { PRESETS, rangeToQuery, type Preset, type RangeState } from './range';
import { fromDatetimeLocal, toDatetimeLocal } from './format';

export interface HeaderHandlers {
  onPreset(p: Preset): void;
  onCustom(from: string | undefined, to: string | undefined): void;
  onToggleLang(): void;
  onLogout(): void;
}

const NAV: Array<{ page: PageName; key: MessageKey }> = [
  { page: 'overview', key: 'nav.overview' },
  { page: 'sources', key: 'nav.sources' },
  { page: 'attacks', key: 'nav.attacks' },
  { page: 'survey', key: 'nav.survey' },
  { page: 'decoy', key: 'nav.decoy' },
  { page: 'intel', key: 'nav.intel' },
  { page: 'sensors', key: 'nav.sensors' },
];

/** Inline SVG of a gecko's silhouette-ish mark; no image request. */
function logo(): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 32 32');
  svg.setAttribute('width', '28');
  svg.setAttribute('height', '28');
  svg.setAttribute('aria-hidden', 'true');
  const house = document.createElementNS(ns, 'path');
  house.setAttribute('d', 'M4 15 16 4l12 11v13H4z');
  house.setAttribute('fill', '#1d4e6b');
  const eye = document.createElementNS(ns, 'circle');
  eye.setAttribute('cx', '16');
  eye.setAttribute('cy', '18');
  eye.setAttribute('r', '4.5');
  eye.setAttribute('fill', '#f4b942');
  svg.append(house, eye);
  return svg;
}

export function renderHeader(route: Route, range: RangeState, user: string | undefined, on: HeaderHandlers): HTMLElement {
  const carry = rangeToQuery(range);
  const current = route.page === 'source' ? 'sources' : route.page === 'decoy-session' ? 'decoy' : route.page;
  // The period means nothing on the login page. The decoy's pages have their own window,
  // counted back from now, not from the end of the stored telescope data as the period is:
  // two selectors there would contradict each other.
  const showPeriod = route.page !== 'login' && route.page !== 'decoy' && route.page !== 'decoy-session';

  const nav = h(
    'nav',
    { 'aria-label': t('nav.label') },
    h(
      'ul',
      {},
      ...NAV.map(({ page, key }) =>
        h(
          'li',
          {},
          h('a', { href: formatRoute(page, carry), 'data-testid': `nav-${page}`, 'aria-current': current === page ? 'page' : undefined }, t(key)),
        ),
      ),
    ),
  );

  const select = h(
    'select',
    { id: 'range-select', 'data-testid': 'range' },
    ...PRESETS.map((p) => h('option', { value: p, selected: range.preset === p }, t(`range.${p}`))),
    // "custom" is only offered while a custom range is shown, so the list of choices stays the five presets.
    range.preset === 'custom' ? h('option', { value: 'custom', selected: true, disabled: true }, t('range.custom')) : null,
  );
  select.addEventListener('change', () => {
    const v = select.value;
    if ((PRESETS as readonly string[]).includes(v)) on.onPreset(v as Preset);
  });

  const fromInput = h('input', { type: 'datetime-local', id: 'range-from', name: 'from', 'data-testid': 'range-from', value: toDatetimeLocal(range.from), step: 60 });
  const toInput = h('input', { type: 'datetime-local', id: 'range-to', name: 'to', 'data-testid': 'range-to', value: toDatetimeLocal(range.to), step: 60 });
  // The apply button is type=button and the inputs apply on Enter: the login page's
  // button[type=submit] must stay the only submit button on that page.
  const apply = () => on.onCustom(fromDatetimeLocal(fromInput.value), fromDatetimeLocal(toInput.value));
  const applyButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'range-apply' }, t('range.apply'));
  applyButton.addEventListener('click', apply);
  for (const input of [fromInput, toInput]) {
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') apply();
    });
  }
  const custom = h(
    'div',
    { class: 'range-custom', role: 'group', 'aria-label': t('range.custom'), 'data-testid': 'range-custom' },
    h('label', { for: 'range-from' }, t('range.from')),
    fromInput,
    h('label', { for: 'range-to' }, t('range.to')),
    toInput,
    applyButton,
  );

  const lang = getLang();
  const langButton = h(
    'button',
    { type: 'button', class: 'lang', 'data-testid': 'lang-switch', lang: lang === 'ja' ? 'en' : 'ja', 'aria-label': t('header.switchToLabel'), title: t('header.switchToLabel') },
    t('header.switchTo'),
  );
  langButton.addEventListener('click', () => on.onToggleLang());

  const logout = h('button', { type: 'button', class: 'logout', 'data-testid': 'logout' }, t('header.logout'));
  logout.addEventListener('click', () => on.onLogout());

  return h(
    'header',
    { class: 'site-header' },
    h(
      'div',
      { class: 'bar' },
      h('a', { class: 'brand', href: formatRoute('overview', carry) }, logo(), h('span', {}, t('app.name'))),
      nav,
      h(
        'div',
        { class: 'account' },
        langButton,
        h('span', { class: 'user', 'data-testid': 'user', title: user ? t('header.user', { user }) : undefined }, user ?? ''),
        logout,
      ),
    ),
    !showPeriod
      ? null
      : h(
      'div',
      { class: 'range-bar' },
      h('label', { for: 'range-select' }, t('range.label')),
      select,
      custom,
      h('span', { class: 'hint' }, t('range.note')),
    ),
  );
}
