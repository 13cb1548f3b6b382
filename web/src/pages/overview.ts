import { api, isAbort, TOOLS, type Attack, type Overview, type PortCount, type Source } from '../api';
import { card, cell, empty, guard, h, link, loading, numCell, pageTitle, section, table } from '../dom';
import { getLang, t } from '../i18n';
import { kindBadges, toolText } from '../labels';
import { countryLabel } from '../i18n/countries';
import { formatBytes, formatInt, formatRate, formatTime, toRfc3339 } from '../format';
import { FOLLOW_SECONDS, followRange } from '../follow';
import { formatRoute } from '../router';
import { rangeToQuery } from '../range';
import { apiRange, everyWhileOpen, type PageContext } from '../page';
import { mapLegend, renderMap } from '../map';
import { renderSeries } from '../chart';

function portTable(kind: 'tcp' | 'udp', ports: PortCount[]): HTMLElement {
  if (ports.length === 0) return empty();
  const lang = getLang();
  return table(
    [t('common.port'), { text: t('common.packets'), num: true }],
    ports.map((p) =>
      h('tr', { 'data-testid': `${kind}-port-row`, 'data-port': p.port }, cell('port', String(p.port)), numCell('packets', p.packets, formatInt(p.packets, lang))),
    ),
    { class: 'compact' },
  );
}

function topSources(sources: Source[], carry: Record<string, string | undefined>): HTMLElement {
  if (sources.length === 0) return empty();
  const lang = getLang();
  return table(
    // Packets right after the address: on a narrow screen the table scrolls, and the number
    // is what the list is ranked by.
    [t('common.address'), { text: t('common.packets'), num: true }, t('common.country'), t('common.kind')],
    sources.map((s) =>
      h(
        'tr',
        { 'data-testid': 'top-source-row', 'data-address': s.address },
        cell('address', link(formatRoute('source', carry, s.address), s.address)),
        numCell('packets', s.packets, formatInt(s.packets, lang)),
        cell('country', countryLabel(s.country, lang)),
        cell('kind', kindBadges(s)),
      ),
    ),
  );
}

function scannersByTool(o: Overview): HTMLElement {
  const lang = getLang();
  return h(
    'ul',
    { class: 'tool-list' },
    ...TOOLS.map((tool) =>
      h(
        'li',
        {},
        h('span', { class: `kind kind-${tool === 'unknown' ? 'scanner' : tool}` }, toolText(tool)),
        h('span', { class: 'num', 'data-testid': `scanners-${tool}`, 'data-value': o.scanners_by_tool[tool] ?? 0 }, formatInt(o.scanners_by_tool[tool] ?? 0, lang)),
      ),
    ),
  );
}

function victims(attacks: Attack[], carry: Record<string, string | undefined>): HTMLElement {
  if (attacks.length === 0) return empty();
  const lang = getLang();
  const href = formatRoute('attacks', carry);
  return table(
    [t('attacks.victim'), t('attacks.start'), { text: t('common.packets'), num: true }, { text: t('attacks.peak'), num: true }],
    attacks.map((a) =>
      h(
        'tr',
        { 'data-testid': 'victim-row', 'data-victim': a.victim },
        cell('victim', link(href, a.victim), a.country ? h('span', { class: 'muted' }, ` ${a.country}`) : null),
        cell('start', formatTime(a.start)),
        numCell('packets', a.packets, formatInt(a.packets, lang)),
        numCell('peak_pps', a.peak_pps, formatRate(a.peak_pps, lang)),
      ),
    ),
  );
}

export async function renderOverview(ctx: PageContext): Promise<void> {
  const { root } = ctx;
  root.append(pageTitle(t('overview.title')), loading());
  await guard(root, async () => {
    const o = await api.overview(apiRange(ctx.range), 10, ctx.signal);
    ctx.noteDataBounds(o.range);
    follow(ctx, o.range.data_to);
    const lang = getLang();
    const carry = rangeToQuery(ctx.range);
    root.querySelector('[data-testid=loading]')?.remove();

    root.append(
      h('p', { class: 'range-shown', 'data-testid': 'range-shown' }, t('range.showing', { from: formatTime(o.range.from), to: formatTime(o.range.to) })),
      ...(ctx.range.preset === 'custom' ? [] : [h('p', { class: 'live', 'data-testid': 'live-indicator' }, `● ${t('overview.following', { seconds: FOLLOW_SECONDS })}`)]),
      h(
        'section',
        { class: 'cards', 'aria-label': t('overview.totals') },
        card('total-packets', 'overview.packets', o.totals.packets, formatBytes(o.totals.bytes, lang)),
        card('total-sources', 'overview.sources', o.totals.sources),
        card('total-scanners', 'overview.scanners', o.totals.scanners),
        card('total-attacks', 'overview.attacks', o.totals.attacks),
      ),
    );

    const mapBox = h('div', { class: 'map-box' });
    const mapPanel = section(
      t('overview.map'),
      h('p', { class: 'hint' }, t('overview.mapHelp')),
      mapBox,
      mapLegend(),
      // The server's reason is a full sentence (in English) that says what to do about it.
      o.geo.reason ? h('p', { class: 'notice', 'data-testid': 'geo-reason', role: 'note' }, o.geo.reason) : null,
      h(
        'p',
        { class: 'attribution' },
        // Exactly the server's licence notice, so it can be checked verbatim.
        h('span', { 'data-testid': 'geo-attribution' }, o.geo.attribution ?? ''),
        h('span', { class: 'muted' }, `${o.geo.attribution ? ' · ' : ''}${t('overview.mapData')}`),
      ),
      h('p', { class: 'hint' }, t('overview.located', { located: formatInt(o.geo.located, lang), unlocated: formatInt(o.geo.unlocated, lang) })),
    );
    mapPanel.classList.add('wide');

    const chartBox = h('div', { class: 'chart-box', 'data-testid': 'timeseries' });
    const chartPanel = section(t('overview.series'), chartBox);
    chartPanel.classList.add('wide');

    root.append(
      mapPanel,
      chartPanel,
      h(
        'div',
        { class: 'grid grid-3' },
        section(t('overview.scannersByTool'), scannersByTool(o)),
        section(t('overview.tcpPorts'), portTable('tcp', o.top_tcp_ports)),
        section(t('overview.udpPorts'), portTable('udp', o.top_udp_ports)),
      ),
      // The two wide tables share a row of their own so neither is squeezed into a third.
      h(
        'div',
        { class: 'grid grid-2' },
        section(t('overview.topSources'), topSources(o.top_sources, carry), h('p', {}, link(formatRoute('sources', carry), t('overview.allSources')))),
        section(t('overview.victims'), victims(o.attacks, carry), h('p', {}, link(formatRoute('attacks', carry), t('overview.allAttacks')))),
      ),
    );

    // Both need the laid-out width, so they are drawn after the panels are in the document.
    if (o.series.t.length > 0 && o.series.counts.some((row) => row.some((v) => v > 0))) {
      const resize = renderSeries(chartBox, o.series);
      const onResize = () => resize();
      window.addEventListener('resize', onResize);
      ctx.signal.addEventListener('abort', () => window.removeEventListener('resize', onResize));
    } else {
      chartBox.append(empty(t('overview.seriesEmpty')));
    }
    await renderMap(mapBox, o, (iso) => {
      location.hash = formatRoute('sources', { ...carry, country: iso });
    });
  });
}

/**
 * While the page is open with a preset range, ask every FOLLOW_SECONDS whether the stored data
 * grew (a tiny range: only the data's bounds matter) and, if so, move the range with it; the
 * page is drawn anew in place, which aborts this loop.
 */
function follow(ctx: PageContext, shownDataTo: string | null | undefined): void {
  if (ctx.range.preset === 'custom') return;
  const { signal } = ctx;
  everyWhileOpen(FOLLOW_SECONDS, signal, async () => {
    try {
      const now = Date.now();
      const probe = await api.overview({ from: toRfc3339(now - 60_000), to: toRfc3339(now) }, 1, signal);
      const next = followRange(ctx.range, shownDataTo, probe.range);
      if (next && !signal.aborted) {
        // In place: following the data adds no history entry and leaves the focus alone.
        ctx.replaceRoute(formatRoute('overview', { ...ctx.route.query, ...rangeToQuery(next) }));
        return false;
      }
    } catch (e) {
      if (isAbort(e)) return false;
      // A failed check is tried again at the next tick; the page keeps what it shows.
    }
    return true;
  });
}
