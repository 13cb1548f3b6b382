// Sensors: each live sensor's newest minute, lag and drops (`GET /api/v1/sensors`), refreshed
// in place while the page is open, so an operator sees a minute arrive and a sensor fall
// silent without reloading.

import { api, AuthRedirect, isAbort, type Sensors, type SensorStatus } from '../api';
import { cell, empty, errorBox, guard, h, loading, numCell, pageTitle, table } from '../dom';
import { getLang, t, type Lang } from '../i18n';
import { formatInt, formatTime } from '../format';
import { everyWhileOpen, type PageContext } from '../page';

/** Minutes summed in each sensor's recent counters. */
const WINDOW_MINUTES = 60;
/** A minute arrives once a minute; polling a few times within it shows it within seconds. */
export const REFRESH_SECONDS = 10;

/** A lag as people read it: `45 s`, `3 min`, `2 h 5 min`, `3 d`. */
export function lagText(seconds: number): string {
  if (seconds < 120) return `${Math.max(0, Math.round(seconds))} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

/** Frames a sensor saw but did not analyse: not IP, or after their minute was written. */
export function notAnalysed(c: { undecodable: number; late: number }): number {
  return c.undecodable + c.late;
}

const STATUS_KEY: Record<SensorStatus, 'sensors.live' | 'sensors.late' | 'sensors.silent'> = {
  live: 'sensors.live',
  late: 'sensors.late',
  silent: 'sensors.silent',
};

function sensorRow(s: Sensors['sensors'][number], lang: Lang): HTMLTableRowElement {
  const r = s.recent;
  return h(
    'tr',
    { 'data-testid': 'sensor-row', 'data-sensor': s.sensor_id, 'data-status': s.status },
    cell('sensor', s.sensor_id),
    cell('status', h('span', { class: `kind sensor-${s.status}` }, t(STATUS_KEY[s.status]))),
    cell(
      'last_minute',
      formatTime(s.last_minute),
      s.last_partial ? h('span', { class: 'muted' }, ` (${t('sensors.partial')})`) : null,
    ),
    numCell('lag', s.lag_seconds, lagText(s.lag_seconds)),
    numCell('minutes', s.recent_minutes, formatInt(s.recent_minutes, lang)),
    numCell('captured', r.captured, formatInt(r.captured, lang)),
    numCell('kernel_drops', r.kernel_drops, formatInt(r.kernel_drops, lang)),
    numCell('interface_drops', r.interface_drops, formatInt(r.interface_drops, lang)),
    numCell('not_analysed', notAnalysed(r), formatInt(notAnalysed(r), lang)),
  );
}

function sensorsTable(s: Sensors): HTMLElement {
  const lang = getLang();
  if (s.sensors.length === 0) return empty(t('sensors.none'));
  return table(
    [
      t('sensors.sensor'),
      t('sensors.status'),
      t('sensors.lastMinute'),
      { text: t('sensors.lag'), num: true },
      { text: t('sensors.minutes'), num: true },
      { text: t('sensors.captured'), num: true },
      { text: t('sensors.kernelDrops'), num: true },
      { text: t('sensors.interfaceDrops'), num: true },
      { text: t('sensors.notAnalysed'), num: true },
    ],
    s.sensors.map((x) => sensorRow(x, lang)),
    { 'data-testid': 'sensors-table' },
  );
}

export async function renderSensors(ctx: PageContext): Promise<void> {
  const { root, signal } = ctx;
  root.append(
    pageTitle(t('sensors.title')),
    h('p', { class: 'hint' }, t('sensors.note', { minutes: WINDOW_MINUTES })),
    loading(),
  );
  await guard(root, async () => {
    const first = await api.sensors(WINDOW_MINUTES, signal);
    root.querySelector('[data-testid=loading]')?.remove();
    const live = h('p', { class: 'live', 'data-testid': 'live-indicator' });
    const slot = h('div', {}, sensorsTable(first));
    const stamp = (ok: boolean) => {
      const time = formatTime(Date.now() / 1000);
      live.textContent = ok
        ? `● ${t('sensors.updated', { seconds: REFRESH_SECONDS, time })}`
        : t('sensors.paused', { time });
      live.dataset.state = ok ? 'live' : 'paused';
    };
    stamp(true);
    root.append(live, slot);
    // Refresh until the user navigates away: the table (and an earlier error) replaced whole.
    everyWhileOpen(REFRESH_SECONDS, signal, async () => {
      try {
        const next = await api.sensors(WINDOW_MINUTES, signal);
        slot.replaceChildren(sensorsTable(next));
        stamp(true);
      } catch (e) {
        // An ended session goes to the login page (the API's handler); nothing to show here.
        if (isAbort(e) || e instanceof AuthRedirect) return false;
        stamp(false);
        if (!slot.querySelector('[data-testid=error]')) slot.prepend(errorBox(e));
      }
      return true;
    });
  });
}
