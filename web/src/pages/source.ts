import { api, ApiError, type SourceDetail } from '../api';
import { cell, empty, errorBox, guard, h, link, loading, numCell, pageTitle, section, table } from '../dom';
import { getLang, t } from '../i18n';
import { countryLabel } from '../i18n/countries';
import { formatBytes, formatInt, formatTime } from '../format';
import { formatRoute } from '../router';
import { rangeToQuery } from '../range';
import type { PageContext } from '../page';
import { kindBadges, toolText } from '../labels';
import { observableView } from '../seenby';

/** A term/definition pair of the summary list; `value` may carry data-testid and data-value. */
function fact(label: string, value: HTMLElement | string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, value)];
}

function summary(s: SourceDetail): HTMLElement {
  const lang = getLang();
  const ttl = s.ttl_min != null && s.ttl_max != null ? `${s.ttl_min}–${s.ttl_max}` : t('common.dash');
  return h(
    'dl',
    { class: 'facts' },
    ...fact(t('common.packets'), h('span', { 'data-testid': 'source-packets', 'data-value': s.packets }, formatInt(s.packets, lang))),
    ...fact(t('common.bytes'), h('span', { 'data-testid': 'source-bytes', 'data-value': s.bytes }, formatBytes(s.bytes, lang))),
    ...fact(t('common.country'), h('span', { 'data-testid': 'source-country' }, s.country ? countryLabel(s.country, lang) : t('common.unknown'))),
    ...fact(t('common.asn'), s.asn != null ? `AS${s.asn}${s.as_org ? ` ${s.as_org}` : ''}` : t('common.unknown')),
    ...fact(t('common.scanner'), s.scanner ? t('common.yes') : t('common.no')),
    ...fact(t('source.scan'), s.scan ?? t('common.dash')),
    ...fact(t('common.tool'), toolText(s.tool)),
    ...fact(t('common.kind'), kindBadges(s)),
    ...fact(t('sources.destinations'), h('span', { 'data-value': s.destinations ?? '' }, formatInt(s.destinations, lang))),
    ...fact(t('sources.ports'), h('span', { 'data-value': s.destination_ports ?? '' }, formatInt(s.destination_ports, lang))),
    ...fact(t('source.synProbes'), h('span', { 'data-value': s.syn_probes }, formatInt(s.syn_probes, lang))),
    ...fact(t('source.ttl'), ttl),
    ...fact(t('common.firstSeen'), formatTime(s.first_seen)),
    ...fact(t('common.lastSeen'), formatTime(s.last_seen)),
  );
}

function fingerprints(s: SourceDetail): HTMLElement {
  // Tools that matched no packet are noise here; the summary already names the verdict.
  const entries = Object.entries(s.fingerprint_matches)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return empty(t('common.empty'));
  const lang = getLang();
  return table(
    [t('source.fingerprint'), { text: t('common.packets'), num: true }],
    entries.map(([name, n]) => h('tr', { 'data-testid': 'fingerprint-row', 'data-name': name }, cell('name', toolText(name)), numCell('packets', n, formatInt(n, lang)))),
    { class: 'compact' },
  );
}

function ports(s: SourceDetail): HTMLElement {
  if (s.top_ports.length === 0) return empty(t('common.empty'));
  const lang = getLang();
  return table(
    [t('common.port'), { text: t('common.packets'), num: true }],
    s.top_ports.map((p) => h('tr', { 'data-testid': 'port-row', 'data-port': p.port }, cell('port', String(p.port)), numCell('packets', p.packets, formatInt(p.packets, lang)))),
    { class: 'compact' },
  );
}

function timeline(s: SourceDetail): HTMLElement {
  if (s.timeline.length === 0) return empty(t('common.empty'));
  const lang = getLang();
  return table(
    [t('source.analysis'), t('common.firstSeen'), t('common.lastSeen'), { text: t('common.packets'), num: true }, t('source.scannerWindows')],
    s.timeline.map((e) =>
      h(
        'tr',
        { 'data-testid': 'timeline-row' },
        cell('analysis_id', h('code', {}, e.analysis_id ?? '')),
        cell('first_seen', formatTime(e.first_seen)),
        cell('last_seen', formatTime(e.last_seen)),
        numCell('packets', e.packets, formatInt(e.packets, lang)),
        cell('scanner_windows', (e.scanner_windows ?? []).map((w) => formatTime(w)).join(', ')),
      ),
    ),
  );
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function indicators(s: SourceDetail): HTMLElement {
  if (s.indicators.length === 0) return empty(t('common.empty'));
  return table(
    [t('stix.pattern'), { text: t('stix.confidence'), num: true }, t('stix.validFrom'), t('stix.validUntil')],
    s.indicators.map((i) =>
      h(
        'tr',
        { 'data-testid': 'indicator-row', 'data-id': str(i.id) || undefined },
        cell('pattern', h('code', { class: 'pattern' }, str(i.pattern))),
        numCell('confidence', typeof i.confidence === 'number' ? i.confidence : null, typeof i.confidence === 'number' ? String(i.confidence) : t('common.dash')),
        cell('valid_from', formatTime(str(i.valid_from))),
        cell('valid_until', formatTime(str(i.valid_until))),
      ),
    ),
  );
}

function sightings(s: SourceDetail): HTMLElement {
  if (s.sightings.length === 0) return empty(t('common.empty'));
  const lang = getLang();
  return table(
    [{ text: t('common.count'), num: true }, t('common.firstSeen'), t('common.lastSeen'), t('stix.sightingOf')],
    s.sightings.map((x) =>
      h(
        'tr',
        { 'data-testid': 'sighting-row', 'data-id': str(x.id) || undefined },
        numCell('count', typeof x.count === 'number' ? x.count : null, formatInt(typeof x.count === 'number' ? x.count : null, lang)),
        cell('first_seen', formatTime(str(x.first_seen))),
        cell('last_seen', formatTime(str(x.last_seen))),
        cell('sighting_of_ref', h('code', {}, str(x.sighting_of_ref))),
      ),
    ),
  );
}

export async function renderSource(ctx: PageContext): Promise<void> {
  const { root } = ctx;
  const address = ctx.route.address ?? '';
  root.append(
    pageTitle(t('source.title')),
    h('p', { class: 'address' }, h('code', { 'data-testid': 'source-address' }, address)),
    loading(),
  );
  await guard(root, async () => {
    let s: SourceDetail;
    // Asked at once and shown when it comes, also for an address the telescope never saw
    // (shared intel may still name it); a failure shows in its own section only.
    const pending = h('p', { class: 'loading', 'aria-live': 'polite' }, t('common.loading'));
    const by = section(t('source.seenBy'), pending);
    by.setAttribute('data-testid', 'source-seen-by');
    by.classList.add('wide');
    void api.observable(address, ctx.signal).then(
      (o) => pending.replaceWith(observableView(o)),
      (e: unknown) => pending.replaceWith(errorBox(e)),
    );
    try {
      s = await api.source(address, ctx.signal);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        root.querySelector('[data-testid=loading]')?.remove();
        root.append(
          h('p', { class: 'notice', 'data-testid': 'not-found' }, t('source.notFound')),
          by,
          h('p', {}, link(formatRoute('sources', rangeToQuery(ctx.range)), t('source.back'))),
        );
        return;
      }
      throw e;
    }
    root.querySelector('[data-testid=loading]')?.remove();
    const grid = h(
      'div',
      { class: 'grid' },
      section(t('source.summary'), summary(s)),
      section(t('source.fingerprints'), fingerprints(s)),
      section(t('source.topPorts'), ports(s)),
    );
    const tl = section(t('source.timeline'), timeline(s));
    const ind = section(t('source.indicators'), indicators(s));
    const sig = section(t('source.sightings'), sightings(s));
    for (const p of [tl, ind, sig]) p.classList.add('wide');
    root.append(grid, tl, ind, sig, by, h('p', {}, link(formatRoute('sources', rangeToQuery(ctx.range)), t('source.back'))));
  });
}
