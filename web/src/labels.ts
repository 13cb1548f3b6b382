import { KINDS, type Tool } from './api';
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
