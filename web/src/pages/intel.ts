import { api } from '../api';
import { cell, empty, errorBox, guard, h, loading, numCell, pageTitle, section, table } from '../dom';
import { getLang, t } from '../i18n';
import { formatInt, formatTime } from '../format';
import type { PageContext } from '../page';
import { observableView } from '../seenby';

const yesNo = (b: boolean) => (b ? t('common.yes') : t('common.no'));

export async function renderIntel(ctx: PageContext): Promise<void> {
  const { root } = ctx;
  root.append(pageTitle(t('intel.title')), loading());
  await guard(root, async () => {
    const intel = await api.intel(ctx.signal);
    root.querySelector('[data-testid=loading]')?.remove();
    const lang = getLang();
    // Indicators and sightings name their collection by id; the alias or title reads better,
    // and the id stays in the tooltip.
    const names = new Map(intel.collections.map((c) => [c.id, c.alias || c.title || c.id]));
    const collectionCell = (id: string | undefined) =>
      cell('collection', id ? h('span', { title: id }, names.get(id) ?? id) : '');

    const collections = section(
      t('intel.collections'),
      intel.collections.length === 0
        ? empty(t('common.empty'))
        : table(
            [t('intel.id'), t('intel.titleCol'), t('intel.alias'), t('intel.apiRoot'), t('intel.read'), t('intel.write')],
            intel.collections.map((c) =>
              h(
                'tr',
                { 'data-testid': 'collection-row', 'data-id': c.id },
                cell('id', h('code', {}, c.id)),
                cell('title', c.title),
                cell('alias', c.alias ?? ''),
                cell('api_root', c.api_root ?? ''),
                cell('can_read', yesNo(c.can_read)),
                cell('can_write', yesNo(c.can_write)),
              ),
            ),
          ),
    );

    const indicators = section(
      t('intel.indicators'),
      intel.indicators.length === 0
        ? empty(t('common.empty'))
        : table(
            [t('stix.name'), t('stix.pattern'), { text: t('stix.confidence'), num: true }, { text: t('stix.score'), num: true }, t('stix.validFrom'), t('stix.validUntil'), t('common.collection'), t('stix.modified')],
            intel.indicators.map((i) =>
              h(
                'tr',
                { 'data-testid': 'indicator-row', 'data-id': i.id ?? '' },
                cell('name', i.name ?? ''),
                cell('pattern', h('code', { class: 'pattern' }, i.pattern ?? '')),
                numCell('confidence', i.confidence ?? null, i.confidence != null ? String(i.confidence) : t('common.dash')),
                numCell('score', i.score ?? null, i.score != null ? String(i.score) : t('common.dash')),
                cell('valid_from', formatTime(i.valid_from)),
                cell('valid_until', formatTime(i.valid_until)),
                collectionCell(i.collection),
                cell('modified', formatTime(i.modified)),
              ),
            ),
          ),
    );

    const sightings = section(
      t('intel.sightings'),
      intel.sightings.length === 0
        ? empty(t('common.empty'))
        : table(
            [t('stix.sightingOf'), { text: t('common.count'), num: true }, t('common.firstSeen'), t('common.lastSeen'), t('common.collection')],
            intel.sightings.map((s) =>
              h(
                'tr',
                { 'data-testid': 'sighting-row', 'data-id': s.id ?? '' },
                cell('sighting_of_ref', h('code', {}, s.sighting_of_ref ?? '')),
                numCell('count', s.count ?? null, formatInt(s.count ?? null, lang)),
                cell('first_seen', formatTime(s.first_seen)),
                cell('last_seen', formatTime(s.last_seen)),
                collectionCell(s.collection),
              ),
            ),
          ),
    );

    const peers = section(
      t('intel.peers'),
      intel.peers.length === 0
        ? empty(t('common.empty'))
        : table(
            [t('intel.direction'), t('intel.url'), t('common.collection'), t('intel.position')],
            intel.peers.map((p) =>
              h(
                'tr',
                { 'data-testid': 'peer-row', 'data-direction': p.direction ?? '' },
                cell('direction', p.direction === 'push' ? t('intel.push') : p.direction === 'pull' ? t('intel.pull') : ''),
                cell('url', h('code', {}, p.url ?? '')),
                cell('collection', p.collection ?? ''),
                cell('position', p.position ?? ''),
              ),
            ),
          ),
    );
    for (const p of [lookup(ctx), collections, indicators, sightings, peers]) {
      p.classList.add('wide');
      root.append(p);
    }
  });
}

/** A value looked up in the correlation index: who reported it, which of our sensors saw it. */
function lookup(ctx: PageContext): HTMLElement {
  const input = h('input', { type: 'search', name: 'value', required: true, 'aria-label': t('seen.lookupLabel'), placeholder: t('seen.lookupLabel'), size: 40 });
  const result = h('div', { 'data-testid': 'observable-result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { 'data-testid': 'observable-form', class: 'lookup' },
    input,
    h('button', { type: 'submit' }, t('seen.lookupButton')),
  );
  // Only the latest lookup's answer is shown, whichever arrives last.
  let asked = 0;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    const n = ++asked;
    result.replaceChildren(loading());
    api.observable(value, ctx.signal).then(
      (o) => n === asked && result.replaceChildren(observableView(o)),
      (e: unknown) => n === asked && result.replaceChildren(errorBox(e)),
    );
  });
  return section(t('seen.lookup'), form, result);
}
