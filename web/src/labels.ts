import { KINDS, type Tool } from './api';
import { t, type MessageKey } from './i18n';

/** Translated label of a source kind; an unknown value (a newer server) is shown as is. */
export function kindText(kind: string): string {
  return (KINDS as readonly string[]).includes(kind) ? t(`kind.${kind}` as MessageKey) : kind;
}

/** Translated label of a scanner tool fingerprint. */
export function toolText(tool: Tool | string): string {
  return tool === 'unknown' ? t('tool.unknown') : kindText(tool);
}
