import { KINDS, type Source, type Tool } from './api';
import { h } from './dom';
import { t, type MessageKey } from './i18n';

const CATEGORIES = ['tcp_syn', 'tcp_synack', 'tcp_ack', 'tcp_fin', 'tcp_rst', 'tcp_push', 'tcp_other', 'udp', 'icmp', 'other'];

/** Translated label of a source kind; an unknown value (a newer server) is shown as is. */
export function kindText(kind: string): string {
  return (KINDS as readonly string[]).includes(kind) ? t(`kind.${kind}` as MessageKey) : kind;
}

/** Translated label of a scanner tool fingerprint. */
export function toolText(tool: Tool | string): string {
  return tool === 'unknown' ? t('tool.unknown') : kindText(tool);
}

/** Backscatter kinds are packet categories ("tcp_synack") or finer server labels ("icmp_3"), shown as is. */
export function categoryText(kind: string): string {
  return CATEGORIES.includes(kind) ? t(`category.${kind}` as MessageKey) : kind;
}

/**
 * The source's kind badge, and after it what the imported warninglists say: "benign scanner"
 * for a scanner a list of research scanners holds, else "listed" for any listed address. The
 * list names are in the tooltip.
 */
export function kindBadges(s: Source): HTMLElement {
  const badges: HTMLElement[] = [h('span', { class: `kind kind-${s.kind}` }, kindText(s.kind))];
  const lists = s.warninglists ?? [];
  if (s.benign_scanner) {
    badges.push(h('span', { class: 'kind kind-benign', 'data-testid': 'benign-scanner', title: lists.join('\n') }, t('listed.benignScanner')));
  } else if (lists.length > 0) {
    badges.push(h('span', { class: 'kind kind-listed', 'data-testid': 'warninglisted', title: lists.join('\n') }, t('listed.listed')));
  }
  return h('span', { class: 'badges' }, ...badges);
}
