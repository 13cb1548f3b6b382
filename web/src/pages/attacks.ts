import { api, type Attack } from '../api';
import { cell, empty, guard, h, loading, numCell, pageTitle, table } from '../dom';
import { getLang, t } from '../i18n';
import { countryLabel } from '../i18n/countries';
import { formatInt, formatRate, formatTime } from '../format';
import { formatRoute } from '../router';
import { apiRange, type PageContext } from '../page';
import { categoryText } from '../labels';

const PAGE_SIZE = 50;

function portsText(a: Attack, lang: 'ja' | 'en'): string {
  // The few busiest ports say what was attacked; the full list would make rows unreadable.
  return a.ports
    .slice(0, 5)
    .map((p) => `${p.port} (${formatInt(p.packets, lang)})`)
    .join(', ');
}

function attackRow(a: Attack): HTMLTableRowElement {
  const lang = getLang();
  return h(
    'tr',
    { 'data-testid': 'attack-row', 'data-victim': a.victim },
    cell('victim', a.victim),
    cell('country', countryLabel(a.country, lang), a.asn != null ? h('span', { class: 'muted' }, ` AS${a.asn}`) : null),
    cell('start', formatTime(a.start)),
    cell('end', formatTime(a.end)),
    numCell('packets', a.packets, formatInt(a.packets, lang)),
    numCell('peak_pps', a.peak_pps, formatRate(a.peak_pps, lang)),
    numCell('mean_pps', a.mean_pps, formatRate(a.mean_pps, lang)),
    cell('ports', portsText(a, lang)),
    cell('kinds', a.kinds.map(categoryText).join(', ')),
  );
}

export async function renderAttacks(ctx: PageContext): Promise<void> {
  const { root } = ctx;
  const q = ctx.route.query;
  root.append(pageTitle(t('attacks.title')), h('p', { class: 'hint' }, t('attacks.note')), loading());
  await guard(root, async () => {
    const page = await api.attacks(apiRange(ctx.range), { cursor: q.cursor || undefined, limit: PAGE_SIZE }, ctx.signal);
    root.querySelector('[data-testid=loading]')?.remove();
    const n = Number(q.page) > 0 ? Number(q.page) : 1;
    root.append(
      page.items.length === 0
        ? empty()
        : table(
            [
              t('attacks.victim'),
              t('common.country'),
              t('attacks.start'),
              t('attacks.end'),
              { text: t('common.packets'), num: true },
              { text: t('attacks.peak'), num: true },
              { text: t('attacks.mean'), num: true },
              t('attacks.ports'),
              t('attacks.kinds'),
            ],
            page.items.map(attackRow),
          ),
      h(
        'nav',
        { class: 'pager' },
        q.cursor ? h('a', { href: formatRoute('attacks', { ...q, cursor: undefined, page: undefined }) }, t('common.firstPage')) : null,
        h('span', { class: 'muted' }, t('common.page', { n })),
        page.next
          ? h('a', { class: 'button', 'data-testid': 'next-page', href: formatRoute('attacks', { ...q, cursor: page.next, page: String(n + 1) }) }, t('common.nextPage'))
          : null,
      ),
    );
  });
}
