// One decoy session's transcript (`GET /api/v1/decoy/sessions/{session}`): its records in the
// order the decoy wrote them, one readable line each. Everything in them is the attacker's and
// is shown as text (transcript.ts escapes control characters).

import { api, ApiError, type DecoyEvent } from '../api';
import { cell, guard, h, link, loading, pageTitle, section, table } from '../dom';
import { getLang, t, type Lang } from '../i18n';
import { formatInt, formatTime, formatTimeMs } from '../format';
import { formatRoute } from '../router';
import { rangeToQuery } from '../range';
import type { PageContext } from '../page';
import { eventClass, eventLine, visible } from '../transcript';

function fact(label: string, value: Node | string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, value)];
}

/** Who, where and when, from the records themselves (the decoy repeats the addresses on each). */
function summary(ctx: PageContext, events: Array<DecoyEvent | string>, lang: Lang): HTMLElement {
  const records = events.filter((e): e is DecoyEvent => typeof e === 'object' && e !== null);
  const first = records[0];
  const closed = records.find((e) => e.eventid === 'cowrie.session.closed');
  const src = typeof first?.src_ip === 'string' ? first.src_ip : '';
  const dst = typeof first?.dst_ip === 'string' ? `${first.dst_ip}${typeof first.dst_port === 'number' ? `:${first.dst_port}` : ''}` : '';
  return h(
    'dl',
    { class: 'facts' },
    ...fact(t('decoy.source'), src ? link(formatRoute('source', rangeToQuery(ctx.range), src), src, { 'data-testid': 'decoy-session-source' }) : t('common.dash')),
    ...fact(t('decoy.destination'), dst ? visible(dst) : t('common.dash')),
    ...fact(t('decoy.protocol'), typeof first?.protocol === 'string' ? visible(first.protocol) : t('common.dash')),
    ...fact(t('decoy.start'), formatTime(first?.timestamp)),
    ...fact(t('decoy.end'), closed ? formatTime(closed.timestamp) : t('decoy.open')),
    ...fact(t('decoy.records'), h('span', { 'data-testid': 'decoy-session-records', 'data-value': events.length }, formatInt(events.length, lang))),
  );
}

function transcript(events: Array<DecoyEvent | string>, lang: Lang): HTMLElement {
  return table(
    [t('decoy.time'), t('decoy.event'), t('decoy.what')],
    events.map((e) => {
      // A line that is not JSON has no time or event of its own; its text is the whole line.
      const record = typeof e === 'object' && e !== null ? e : undefined;
      const eventid = typeof record?.eventid === 'string' ? record.eventid : '';
      return h(
        'tr',
        { 'data-testid': 'decoy-event-row', 'data-eventid': eventid, class: eventClass(eventid) },
        cell('time', formatTimeMs(typeof record?.timestamp === 'string' ? record.timestamp : undefined)),
        cell('eventid', h('code', {}, visible(eventid))),
        cell('line', h('code', {}, eventLine(e, lang))),
      );
    }),
    { class: 'compact transcript', 'data-testid': 'decoy-transcript' },
  );
}

export async function renderDecoySession(ctx: PageContext): Promise<void> {
  const { root } = ctx;
  const session = ctx.route.session ?? '';
  // Back to the decoy page with the window it was opened from (its address came along).
  const back = () => h('p', {}, link(formatRoute('decoy', ctx.route.query), t('decoy.back'), { 'data-testid': 'decoy-back' }));
  root.append(pageTitle(t('decoy.sessionTitle')), h('p', { class: 'address' }, h('code', { 'data-testid': 'decoy-session-id' }, session)), loading());
  await guard(root, async () => {
    let events: Array<DecoyEvent | string>;
    try {
      events = (await api.decoySession(session, ctx.signal)).events;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        root.querySelector('[data-testid=loading]')?.remove();
        root.append(h('p', { class: 'notice', 'data-testid': 'not-found' }, t('decoy.sessionNotFound')), back());
        return;
      }
      throw e;
    }
    root.querySelector('[data-testid=loading]')?.remove();
    const lang = getLang();
    const log = section(t('decoy.transcript'), h('p', { class: 'hint' }, t('decoy.transcriptNote')), transcript(events, lang));
    log.classList.add('wide');
    root.append(section(t('decoy.summary'), summary(ctx, events, lang)), log, back());
  });
}
