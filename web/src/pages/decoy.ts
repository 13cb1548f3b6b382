// Decoy: what `yamori decoy` recorded over a window counted back from now (`GET /api/v1/decoy`):
// totals, a series, the pairs and commands tried most, the malware URLs, the attacking sources
// and the newest sessions. Every string in these answers is an attacker's, shown as text only.

import { api, type Decoy } from '../api';
import { card, cell, empty, guard, h, link, loading, numCell, pageTitle, section, table } from '../dom';
import { getLang, t, translate, type Lang } from '../i18n';
import { formatInt, formatTime } from '../format';
import { formatRoute } from '../router';
import { rangeToQuery } from '../range';
import type { PageContext } from '../page';
import { renderLines } from '../chart';
import { loginText, visible } from '../transcript';

/** The windows offered, in hours: a day, a week (the API's default), a month. */
export const WINDOWS: readonly number[] = [24, 168, 720];
export const DEFAULT_WINDOW = 168;
/** The API's bound on `window`: a year. */
const MAX_WINDOW = 8760;
/** Rows per table; the recent sessions get twice as many. */
const TOP = 10;

/** The window in the address (`#/decoy?window=24`); anything the API would refuse is the default. */
export function windowFromQuery(q: Record<string, string>): number {
  const v = q.window ?? '';
  if (!/^\d{1,4}$/.test(v)) return DEFAULT_WINDOW;
  const n = Number(v);
  return n >= 1 && n <= MAX_WINDOW ? n : DEFAULT_WINDOW;
}

/** "Last hour", "Last 24 hours", "Last 7 days": whole days from two days on. */
export function windowLabel(hours: number, lang: Lang): string {
  if (hours === 1) return translate(lang, 'range.1h');
  return hours >= 48 && hours % 24 === 0 ? translate(lang, 'decoy.windowDays', { days: hours / 24 }) : translate(lang, 'decoy.windowHours', { hours });
}

/** Beyond this many buckets only those with records are drawn (a tiny bucket over a long window). */
const MAX_BUCKETS = 20_000;

/**
 * The series with a zero for every bucket of the window that has no records: the API lists
 * only buckets with records, and a line drawn straight between them would invent activity in
 * the quiet hours between.
 */
export function denseSeries(d: Pick<Decoy, 'since' | 'now' | 'bucket_seconds' | 'series'>): { t: number[]; sessions: number[]; logins: number[]; commands: number[] } {
  const step = d.bucket_seconds > 0 ? d.bucket_seconds : 3600;
  const byTime = new Map<number, Decoy['series'][number]>();
  for (const p of d.series) {
    const secs = Date.parse(p.t) / 1000;
    if (Number.isFinite(secs)) byTime.set(secs, p);
  }
  const times = new Set(byTime.keys());
  const start = Math.floor(Date.parse(d.since) / 1000 / step) * step;
  const end = Math.floor(Date.parse(d.now) / 1000 / step) * step;
  if (Number.isFinite(start) && Number.isFinite(end) && (end - start) / step <= MAX_BUCKETS) {
    for (let secs = start; secs <= end; secs += step) times.add(secs);
  }
  const t = [...times].sort((a, b) => a - b);
  return {
    t,
    sessions: t.map((x) => byTime.get(x)?.sessions ?? 0),
    logins: t.map((x) => byTime.get(x)?.logins ?? 0),
    commands: t.map((x) => byTime.get(x)?.commands ?? 0),
  };
}

function windowPicker(ctx: PageContext, hours: number): HTMLElement {
  const lang = getLang();
  const choices = WINDOWS.includes(hours) ? WINDOWS : [...WINDOWS, hours].sort((a, b) => a - b);
  const select = h('select', { id: 'decoy-window', 'data-testid': 'decoy-window' }, ...choices.map((w) => h('option', { value: w, selected: w === hours }, windowLabel(w, lang))));
  // The rest of the address (the telescope's period) is kept, so the nav carries it on.
  select.addEventListener('change', () => {
    location.hash = formatRoute('decoy', { ...ctx.route.query, window: select.value });
  });
  return h('div', { class: 'filters' }, h('label', { for: 'decoy-window' }, t('decoy.window')), select);
}

function emptyState(): HTMLElement {
  return h(
    'div',
    { class: 'notice', 'data-testid': 'decoy-empty' },
    h('p', {}, h('strong', {}, t('decoy.empty'))),
    h('p', {}, t('decoy.emptyStart')),
    h('pre', {}, h('code', {}, 'yamori decoy')),
    h('p', {}, t('decoy.emptyDocs')),
  );
}

/** A password cell: an empty password is one bots try (`admin` with none), so it is named. */
function passwordCell(password: string): HTMLTableCellElement {
  return password === '' ? cell('password', h('span', { class: 'muted' }, t('decoy.emptyPassword'))) : cell('password', h('code', {}, visible(password)));
}

function credentials(d: Decoy, lang: Lang): HTMLElement {
  if (d.credentials.length === 0) return empty(t('common.empty'));
  return table(
    [t('decoy.username'), t('decoy.password'), { text: t('decoy.attempts'), num: true }, { text: t('decoy.succeeded'), num: true }],
    d.credentials.map((c) =>
      h(
        'tr',
        { 'data-testid': 'decoy-credential-row' },
        cell('username', h('code', {}, visible(c.username))),
        passwordCell(c.password),
        numCell('attempts', c.attempts, formatInt(c.attempts, lang)),
        numCell('succeeded', c.succeeded, formatInt(c.succeeded, lang)),
      ),
    ),
    { class: 'compact', 'data-testid': 'decoy-credentials-table' },
  );
}

function commands(d: Decoy, lang: Lang): HTMLElement {
  if (d.commands_top.length === 0) return empty(t('common.empty'));
  return table(
    [t('decoy.input'), { text: t('common.count'), num: true }, { text: t('decoy.sessions'), num: true }],
    d.commands_top.map((c) =>
      h(
        'tr',
        { 'data-testid': 'decoy-command-row' },
        cell('input', h('code', {}, visible(c.input))),
        numCell('count', c.count, formatInt(c.count, lang)),
        numCell('sessions', c.sessions, formatInt(c.sessions, lang)),
      ),
    ),
    { class: 'compact', 'data-testid': 'decoy-commands-table' },
  );
}

function urls(d: Decoy, lang: Lang): HTMLElement {
  if (d.urls.length === 0) return empty(t('common.empty'));
  return table(
    [t('decoy.url'), t('decoy.host'), { text: t('decoy.sessions'), num: true }, { text: t('decoy.sources'), num: true }, t('common.firstSeen'), t('common.lastSeen')],
    d.urls.map((u) =>
      h(
        'tr',
        { 'data-testid': 'decoy-url-row' },
        // Text in a <code>, never an <a>: one click on a live malware URL is one too many.
        cell('url', h('code', {}, visible(u.url))),
        cell('host', u.host ? h('code', {}, visible(u.host)) : t('common.dash')),
        numCell('sessions', u.sessions, formatInt(u.sessions, lang)),
        numCell('sources', u.sources, formatInt(u.sources, lang)),
        cell('first_seen', formatTime(u.first_seen)),
        cell('last_seen', formatTime(u.last_seen)),
      ),
    ),
    { 'data-testid': 'decoy-urls-table' },
  );
}

function attackers(d: Decoy, lang: Lang, carry: Record<string, string | undefined>): HTMLElement {
  if (d.attackers.length === 0) return empty(t('common.empty'));
  return table(
    [
      t('common.address'),
      { text: t('decoy.sessions'), num: true },
      { text: t('decoy.loginsSucceeded'), num: true },
      { text: t('decoy.commands'), num: true },
      { text: t('decoy.downloads'), num: true },
      t('common.firstSeen'),
      t('common.lastSeen'),
    ],
    d.attackers.map((a) =>
      h(
        'tr',
        { 'data-testid': 'decoy-attacker-row', 'data-address': a.src_ip },
        cell('address', link(formatRoute('source', carry, a.src_ip), a.src_ip)),
        numCell('sessions', a.sessions, formatInt(a.sessions, lang)),
        numCell('logins_succeeded', a.logins_succeeded, formatInt(a.logins_succeeded, lang)),
        numCell('commands', a.commands, formatInt(a.commands, lang)),
        numCell('downloads', a.downloads, formatInt(a.downloads, lang)),
        cell('first_seen', formatTime(a.first_seen)),
        cell('last_seen', formatTime(a.last_seen)),
      ),
    ),
    { 'data-testid': 'decoy-attackers-table' },
  );
}

function recentSessions(ctx: PageContext, d: Decoy, lang: Lang, carry: Record<string, string | undefined>): HTMLElement {
  if (d.recent_sessions.length === 0) return empty(t('common.empty'));
  return table(
    [
      t('decoy.session'),
      t('common.address'),
      t('decoy.protocol'),
      t('decoy.start'),
      t('decoy.end'),
      t('decoy.login'),
      { text: t('decoy.commands'), num: true },
      { text: t('decoy.downloads'), num: true },
    ],
    d.recent_sessions.map((s) =>
      h(
        'tr',
        { 'data-testid': 'decoy-session-row', 'data-session': s.session, 'data-login': s.login ? loginText(s.login, lang) : undefined, 'data-commands': s.commands },
        // The transcript keeps this page's address, so its link back returns to the same window.
        cell('session', h('a', { href: formatRoute('decoy-session', ctx.route.query, s.session) }, h('code', {}, s.session))),
        cell('address', link(formatRoute('source', carry, s.src_ip), s.src_ip)),
        cell('protocol', visible(s.protocol)),
        cell('start', formatTime(s.start)),
        cell('end', s.end ? formatTime(s.end) : h('span', { class: 'muted' }, t('decoy.open'))),
        cell('login', h('code', {}, loginText(s.login, lang))),
        numCell('commands', s.commands, formatInt(s.commands, lang)),
        numCell('downloads', s.downloads, formatInt(s.downloads, lang)),
      ),
    ),
    { 'data-testid': 'decoy-sessions-table' },
  );
}

function wide(panel: HTMLElement): HTMLElement {
  panel.classList.add('wide');
  return panel;
}

export async function renderDecoy(ctx: PageContext): Promise<void> {
  const { root } = ctx;
  const hours = windowFromQuery(ctx.route.query);
  root.append(pageTitle(t('decoy.title')), h('p', { class: 'hint' }, t('decoy.note')), windowPicker(ctx, hours), loading());
  await guard(root, async () => {
    const d = await api.decoy(hours, TOP, ctx.signal);
    const lang = getLang();
    const carry = rangeToQuery(ctx.range);
    root.querySelector('[data-testid=loading]')?.remove();
    root.append(h('p', { class: 'range-shown', 'data-testid': 'decoy-shown' }, t('range.showing', { from: formatTime(d.since), to: formatTime(d.now) })));
    // No session and no source: nothing was recorded, so say how to start a decoy instead.
    if (d.sessions === 0 && d.sources === 0) {
      root.append(emptyState());
      return;
    }

    const chartBox = h('div', { class: 'chart-box', 'data-testid': 'decoy-timeseries' });
    root.append(
      h(
        'section',
        { class: 'cards', 'aria-label': t('decoy.totals') },
        card('decoy-total-sessions', 'decoy.sessions', d.sessions),
        card('decoy-total-sources', 'decoy.sources', d.sources),
        card('decoy-total-logins-succeeded', 'decoy.loginsSucceeded', d.logins_succeeded),
        card('decoy-total-logins-failed', 'decoy.loginsFailed', d.logins_failed),
        card('decoy-total-commands', 'decoy.commands', d.commands),
        card('decoy-total-downloads', 'decoy.downloads', d.downloads),
      ),
      wide(section(t('decoy.series'), chartBox)),
      h('div', { class: 'grid grid-2' }, section(t('decoy.credentials'), credentials(d, lang)), section(t('decoy.commandsTop'), commands(d, lang))),
      wide(section(t('decoy.urls'), h('p', { class: 'hint' }, t('decoy.urlsNote')), urls(d, lang))),
      wide(section(t('decoy.attackers'), h('p', { class: 'hint' }, t('decoy.attackersNote')), attackers(d, lang, carry))),
      wide(section(t('decoy.recent'), h('p', { class: 'hint' }, t('decoy.recentNote')), recentSessions(ctx, d, lang, carry))),
    );

    // The chart needs the laid-out width, so it is drawn once its panel is in the document.
    const s = denseSeries(d);
    if (s.t.length === 0) {
      chartBox.append(empty(t('decoy.seriesEmpty')));
      return;
    }
    const resize = renderLines(chartBox, s.t, [
      { label: t('decoy.sessions'), colour: '#1d4e6b', values: s.sessions },
      { label: t('decoy.logins'), colour: '#d62728', values: s.logins },
      { label: t('decoy.commands'), colour: '#ff7f0e', values: s.commands, right: true },
    ]);
    const onResize = () => resize();
    window.addEventListener('resize', onResize);
    ctx.signal.addEventListener('abort', () => window.removeEventListener('resize', onResize));
  });
}
