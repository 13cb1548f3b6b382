// Tiny DOM helpers. Everything is built with createElement/textContent, never innerHTML, so
// strings from the API (addresses, AS names, STIX patterns) can never inject markup.

import { ApiError, AuthRedirect, isAbort } from './api';
import { getLang, t, type MessageKey } from './i18n';
import { formatInt } from './format';

type Attrs = Record<string, string | number | boolean | undefined | null | EventListener>;
export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

export function link(href: string, text: string, attrs: Attrs = {}): HTMLAnchorElement {
  return h('a', { href, ...attrs }, text);
}

/** A numeric cell: formatted text for people, the raw value in data-value for tests and tools. */
export function numCell(field: string, value: number | null | undefined, text: string): HTMLTableCellElement {
  return h('td', { class: 'num', 'data-field': field, 'data-value': value ?? undefined }, text);
}

export function cell(field: string, ...children: Child[]): HTMLTableCellElement {
  return h('td', { 'data-field': field }, ...children);
}

/** A semantic table with a caption-less header row; `headers` entries marked num are right-aligned. */
export function table(headers: Array<string | { text: string; num?: boolean }>, rows: HTMLTableRowElement[], attrs: Attrs = {}): HTMLElement {
  const head = h(
    'tr',
    {},
    ...headers.map((x) => (typeof x === 'string' ? h('th', { scope: 'col' }, x) : h('th', { scope: 'col', class: x.num ? 'num' : undefined }, x.text))),
  );
  const tbl = h('table', attrs, h('thead', {}, head), h('tbody', {}, ...rows));
  // The wrapper scrolls sideways on narrow screens instead of squeezing columns.
  return h('div', { class: 'table-wrap' }, tbl);
}

/** A total as a card: label, the number (raw in data-value) and an optional line under it. */
export function card(testid: string, key: MessageKey, value: number, sub?: string): HTMLElement {
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'card-label' }, t(key)),
    h('div', { class: 'card-value', 'data-testid': testid, 'data-value': value }, formatInt(value, getLang())),
    sub ? h('div', { class: 'card-sub' }, sub) : null,
  );
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

export function empty(text = t('common.none')): HTMLElement {
  return h('p', { class: 'empty' }, text);
}

/** The visible error box (`data-testid=error`), with the server's message when there is one. */
export function errorBox(err: unknown): HTMLElement {
  let msg: string;
  if (err instanceof ApiError) msg = t('error.http', { status: err.status, message: err.message });
  else if (err instanceof Error) msg = t('error.network', { message: err.message });
  else msg = String(err);
  return h('div', { class: 'error', role: 'alert', 'data-testid': 'error' }, h('strong', {}, `${t('common.error')}: `), msg);
}

/**
 * Runs a page's loader and turns failures into the error box. Aborts (the user navigated
 * away) and 401s (already redirected to login) are expected and stay silent, so nothing
 * reaches the console as an unhandled rejection.
 */
export async function guard(root: HTMLElement, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (e) {
    if (isAbort(e) || e instanceof AuthRedirect) return;
    root.querySelector('[data-testid=loading]')?.remove();
    root.querySelector('[data-testid=error]')?.remove();
    const title = root.querySelector('h1');
    if (title) title.after(errorBox(e));
    else root.prepend(errorBox(e));
  }
}

export function loading(): HTMLElement {
  return h('p', { class: 'loading', 'data-testid': 'loading', 'aria-live': 'polite' }, t('common.loading'));
}

export function pageTitle(text: string): HTMLHeadingElement {
  return h('h1', { 'data-testid': 'page-title' }, text);
}
