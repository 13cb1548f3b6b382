// Who else reported a value and which of our own sensors saw it (`GET /api/v1/observable`):
// shown on a source's page and by the lookup on the intel page (docs/TRUST.md §6).
import type { Observable } from './api';
import { cell, empty, h, numCell, table } from './dom';
import { formatInt, formatTime } from './format';
import { getLang, t } from './i18n';

/** Our sensors: one row per telescope sensor (or offline analyses) and one for the decoy. */
function seenBy(o: Observable): HTMLElement {
  const lang = getLang();
  const rows: HTMLTableRowElement[] = [];
  for (const s of o.seen_by?.telescope ?? []) {
    rows.push(
      h(
        'tr',
        { 'data-testid': 'seen-row', 'data-kind': 'telescope', 'data-sensor': s.sensor ?? '' },
        cell('sensor', s.sensor ? t('seen.telescopeSensor', { sensor: s.sensor }) : t('seen.telescopeOffline')),
        numCell('packets', s.packets, formatInt(s.packets, lang)),
        cell('first_seen', formatTime(s.first_seen)),
        cell('last_seen', formatTime(s.last_seen)),
        cell('scanner', s.scanner ? t('common.yes') : t('common.no')),
      ),
    );
  }
  const d = o.seen_by?.decoy;
  if (d) {
    rows.push(
      h(
        'tr',
        { 'data-testid': 'seen-row', 'data-kind': 'decoy' },
        cell('sensor', t('seen.decoy', { sessions: formatInt(d.sessions, lang) })),
        numCell('packets', null, t('common.dash')),
        cell('first_seen', formatTime(d.first_seen)),
        cell('last_seen', formatTime(d.last_seen)),
        cell('scanner', t('common.dash')),
      ),
    );
  }
  if (rows.length === 0) return empty(o.seen_by ? t('seen.notSeen') : t('seen.notAddress'));
  return table(
    [t('seen.sensor'), { text: t('common.packets'), num: true }, t('common.firstSeen'), t('common.lastSeen'), t('common.scanner')],
    rows,
    { 'data-testid': 'seen-table' },
  );
}

function relationText(relation: string): string {
  if (relation === 'contains') return t('seen.relation.contains');
  if (relation === 'within') return t('seen.relation.within');
  return t('seen.relation.equal');
}

/** The reports in the collections the caller may read, the asked value's own first. */
function reportedBy(o: Observable): HTMLElement {
  if (o.reports.length === 0) return empty(t('seen.noReports'));
  return table(
    [t('seen.value'), t('seen.relation'), t('common.collection'), t('seen.object'), t('seen.source'), t('seen.firstAdded'), t('seen.lastAdded')],
    o.reports.map((r) =>
      h(
        'tr',
        { 'data-testid': 'report-row', 'data-id': r.object_id, 'data-relation': r.relation },
        cell('value', h('code', {}, r.value)),
        cell('relation', relationText(r.relation)),
        cell('collection', h('span', { title: r.collection_id }, r.collection)),
        cell('object', h('code', { title: r.object_id }, r.object_type)),
        cell('created_by', r.created_by ? h('code', {}, r.created_by) : t('common.unknown')),
        cell('first_added', formatTime(r.first_added)),
        cell('last_added', formatTime(r.last_added)),
      ),
    ),
    { 'data-testid': 'report-table' },
  );
}

/** Both tables, with the notes the API attaches (cut at the limit, index still being built). */
export function observableView(o: Observable): HTMLElement {
  const notes: HTMLElement[] = [];
  if (o.truncated) notes.push(h('p', { class: 'notice', 'data-testid': 'observable-truncated' }, t('seen.truncated')));
  if (!o.index_complete) notes.push(h('p', { class: 'notice' }, t('seen.indexing')));
  return h(
    'div',
    { 'data-testid': 'observable', 'data-value': o.value },
    h('h3', {}, t('seen.ourSensors')),
    seenBy(o),
    h('h3', {}, t('seen.reportedBy')),
    reportedBy(o),
    ...notes,
  );
}
