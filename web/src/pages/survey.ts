import { api, type Device } from '../api';
import { cell, empty, guard, h, loading, numCell, pageTitle, section, table } from '../dom';
import { getLang, t } from '../i18n';
import { formatInt } from '../format';
import type { PageContext } from '../page';

/**
 * Counts devices per key, most first; missing keys count as "unknown". The fingerprints also
 * say "unknown" literally, which is the same thing and must not make a second row.
 */
export function countBy(devices: Device[], key: (d: Device) => string | null | undefined): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const d of devices) {
    const raw = key(d);
    const k = raw && raw.toLowerCase() !== 'unknown' ? raw : '';
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export interface VulnSummary {
  cve: string;
  kev: boolean;
  cvss: number | null;
  devices: number;
}

/**
 * One row per CVE with how many devices have it. Known-exploited (KEV) first: those are being
 * used in the wild and are the ones to notify about first; then by CVSS, then by reach.
 */
export function summariseVulns(devices: Device[]): VulnSummary[] {
  const m = new Map<string, VulnSummary>();
  for (const d of devices) {
    for (const v of d.vulnerabilities ?? []) {
      if (!v.cve) continue;
      const cur = m.get(v.cve) ?? { cve: v.cve, kev: false, cvss: null, devices: 0 };
      cur.kev ||= v.kev === true;
      if (v.cvss != null && (cur.cvss == null || v.cvss > cur.cvss)) cur.cvss = v.cvss;
      cur.devices++;
      m.set(v.cve, cur);
    }
  }
  return [...m.values()].sort(
    (a, b) => Number(b.kev) - Number(a.kev) || (b.cvss ?? -1) - (a.cvss ?? -1) || b.devices - a.devices || a.cve.localeCompare(b.cve),
  );
}

function counts(title: string, rows: Array<[string, number]>, label: string): HTMLElement {
  const lang = getLang();
  return section(
    title,
    rows.length === 0
      ? empty(t('common.empty'))
      : table(
          [label, { text: t('survey.devices'), num: true }],
          rows.map(([k, n]) => h('tr', {}, cell('key', k || t('common.unknown')), numCell('devices', n, formatInt(n, lang)))),
          { class: 'compact' },
        ),
  );
}

function deviceRow(d: Device): HTMLTableRowElement {
  const vulns = d.vulnerabilities ?? [];
  return h(
    'tr',
    { 'data-testid': 'device-row', 'data-address': d.address ?? '' },
    cell('address', d.address ?? ''),
    numCell('port', d.port, d.port != null ? String(d.port) : ''),
    cell('service', d.service ?? ''),
    cell('device_type', d.device_type ?? t('common.unknown')),
    cell('vendor', d.vendor ?? t('common.unknown')),
    cell('product', d.product ?? ''),
    cell('weak_credentials', d.weak_credentials ? h('strong', { class: 'bad' }, t('common.yes')) : t('common.no')),
    cell('vulnerabilities', vulns.map((v) => (v.kev ? `${v.cve} (KEV)` : v.cve)).join(', ')),
  );
}

export async function renderSurvey(ctx: PageContext): Promise<void> {
  const { root } = ctx;
  root.append(pageTitle(t('survey.title')), loading());
  await guard(root, async () => {
    const s = await api.survey(ctx.signal);
    root.querySelector('[data-testid=loading]')?.remove();
    if (!s.available) {
      root.append(h('p', { class: 'notice', 'data-testid': 'survey-unavailable' }, t('survey.unavailable', { reason: s.reason ?? t('common.unknown') })));
      return;
    }
    const devices = s.devices ?? [];
    const weak = devices.filter((d) => d.weak_credentials);
    const vulns = summariseVulns(devices);
    const lang = getLang();
    const devicesPanel = section(
      t('survey.devices'),
      devices.length === 0
        ? empty(t('common.empty'))
        : table(
            [t('common.address'), { text: t('common.port'), num: true }, t('survey.service'), t('survey.type'), t('survey.vendor'), t('survey.product'), t('survey.weak'), t('survey.vulns')],
            devices.map(deviceRow),
          ),
    );
    const vulnsPanel = section(
      t('survey.vulns'),
      vulns.length === 0
        ? empty(t('common.empty'))
        : table(
            [t('survey.cve'), t('survey.kev'), { text: t('survey.cvss'), num: true }, { text: t('survey.affected'), num: true }],
            vulns.map((v) =>
              h(
                'tr',
                { 'data-testid': 'vuln-row', 'data-cve': v.cve, class: v.kev ? 'kev' : undefined },
                cell('cve', v.cve),
                cell('kev', v.kev ? h('strong', { class: 'bad' }, t('common.yes')) : t('common.no')),
                numCell('cvss', v.cvss, v.cvss != null ? v.cvss.toFixed(1) : t('common.dash')),
                numCell('devices', v.devices, formatInt(v.devices, lang)),
              ),
            ),
          ),
    );
    const weakPanel = section(
      t('survey.weak'),
      weak.length === 0
        ? empty(t('survey.weakNone'))
        : h('ul', { class: 'plain' }, ...weak.map((d) => h('li', { 'data-testid': 'weak-row' }, h('code', {}, `${d.address ?? ''}:${d.port ?? ''}`), ` ${d.service ?? ''} ${d.vendor ?? ''} ${d.product ?? ''}`))),
    );
    devicesPanel.classList.add('wide');
    vulnsPanel.classList.add('wide');
    root.append(
      h(
        'div',
        { class: 'grid' },
        counts(t('survey.byType'), countBy(devices, (d) => d.device_type), t('survey.type')),
        counts(t('survey.byVendor'), countBy(devices, (d) => d.vendor), t('survey.vendor')),
        weakPanel,
      ),
      vulnsPanel,
      devicesPanel,
    );
  });
}
