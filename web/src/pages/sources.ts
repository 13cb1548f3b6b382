import { api, TOOLS, type Source } from '../api';
import { cell, empty, guard, h, link, loading, numCell, pageTitle, table } from '../dom';
import { getLang, t } from '../i18n';
import { countryLabel } from '../i18n/countries';
import { formatBytes, formatInt, formatTime } from '../format';
import { formatRoute } from '../router';
import { rangeToQuery } from '../range';
import { apiRange, type PageContext } from '../page';
import { kindBadges, toolText } from '../labels';

const PAGE_SIZE = 50;

function filterForm(ctx: PageContext): HTMLFormElement {
  const q = ctx.route.query;
  const country = h('input', {
    id: 'f-country',
    name: 'country',
    'data-testid': 'filter-country',
    value: q.country ?? '',
    // No client-side pattern: the server validates and its 400 message is shown as is.
    size: 4,
    autocomplete: 'off',
  });
  const tool = h(
    'select',
    { id: 'f-tool', name: 'tool', 'data-testid': 'filter-tool' },
    h('option', { value: '' }, t('sources.anyTool')),
    ...TOOLS.map((x) => h('option', { value: x, selected: q.tool === x }, toolText(x))),
  );
  const scanners = h('input', { type: 'checkbox', id: 'f-scanners', name: 'scanners', 'data-testid': 'filter-scanners', checked: q.scanners === 'true' });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': t('sources.filters') },
    h('label', { for: 'f-country' }, t('sources.country')),
    country,
    h('label', { for: 'f-tool' }, t('sources.tool')),
    tool,
    h('span', { class: 'check' }, scanners, h('label', { for: 'f-scanners' }, t('sources.scannersOnly'))),
    h('button', { type: 'submit', 'data-testid': 'filter-apply' }, t('sources.apply')),
    h('a', { href: formatRoute('sources', rangeToQuery(ctx.range)) }, t('sources.clear')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    // A new filter starts again at the first page: the cursor belongs to the old result.
    location.hash = formatRoute('sources', {
      ...rangeToQuery(ctx.range),
      country: country.value.trim().toUpperCase() || undefined,
      tool: tool.value || undefined,
      scanners: scanners.checked ? 'true' : undefined,
    });
  });
  return form;
}

export function sourceRow(s: Source, carry: Record<string, string | undefined>): HTMLTableRowElement {
  const lang = getLang();
  return h(
    'tr',
    { 'data-testid': 'source-row', 'data-address': s.address },
    cell('address', link(formatRoute('source', carry, s.address), s.address)),
    cell('country', countryLabel(s.country, lang)),
    cell('asn', s.asn != null ? `AS${s.asn}` : '', s.as_org ? h('span', { class: 'muted' }, ` ${s.as_org}`) : null),
    numCell('packets', s.packets, formatInt(s.packets, lang)),
    numCell('bytes', s.bytes, formatBytes(s.bytes, lang)),
    numCell('destinations', s.destinations, formatInt(s.destinations, lang)),
    numCell('destination_ports', s.destination_ports, formatInt(s.destination_ports, lang)),
    cell('scanner', s.scanner ? t('common.yes') : t('common.no')),
    cell('tool', toolText(s.tool)),
    cell('kind', kindBadges(s)),
    cell('first_seen', formatTime(s.first_seen)),
    cell('last_seen', formatTime(s.last_seen)),
  );
}

export async function renderSources(ctx: PageContext): Promise<void> {
  const { root, route } = ctx;
  const q = route.query;
  root.append(pageTitle(t('sources.title')), filterForm(ctx), loading());
  await guard(root, async () => {
    const page = await api.sources(
      apiRange(ctx.range),
      { country: q.country || undefined, tool: q.tool || undefined, scanners: q.scanners === 'true', cursor: q.cursor || undefined, limit: PAGE_SIZE },
      ctx.signal,
    );
    root.querySelector('[data-testid=loading]')?.remove();
    const carry = rangeToQuery(ctx.range);
    const n = Number(q.page) > 0 ? Number(q.page) : 1;
    root.append(
      page.items.length === 0
        ? empty()
        : table(
            [
              t('common.address'),
              t('common.country'),
              t('common.asn'),
              { text: t('common.packets'), num: true },
              { text: t('common.bytes'), num: true },
              { text: t('sources.destinations'), num: true },
              { text: t('sources.ports'), num: true },
              t('common.scanner'),
              t('common.tool'),
              t('common.kind'),
              t('common.firstSeen'),
              t('common.lastSeen'),
            ],
            page.items.map((s) => sourceRow(s, carry)),
          ),
      h(
        'nav',
        { class: 'pager' },
        q.cursor ? h('a', { href: formatRoute('sources', { ...q, cursor: undefined, page: undefined }) }, t('common.firstPage')) : null,
        h('span', { class: 'muted' }, t('common.page', { n })),
        // Only offered when the server says there is more.
        page.next
          ? h('a', { class: 'button', 'data-testid': 'next-page', href: formatRoute('sources', { ...q, cursor: page.next, page: String(n + 1) }) }, t('common.nextPage'))
          : null,
      ),
    );
  });
}
