// Hash routing: the binary serves one index.html, so the route lives after '#'
// ("#/source/192.0.2.1?from=...&to=...") and needs no server-side rewrite rules.

export type PageName = 'overview' | 'sources' | 'source' | 'attacks' | 'survey' | 'decoy' | 'decoy-session' | 'intel' | 'sensors' | 'login';

export interface Route {
  page: PageName | 'notfound';
  /** The address of `#/source/<address>` (decoded; IPv6 colons are fine). */
  address?: string;
  /** The session of `#/decoy/<session>`. */
  session?: string;
  query: Record<string, string>;
}

const SIMPLE: readonly PageName[] = ['overview', 'sources', 'attacks', 'survey', 'decoy', 'intel', 'sensors', 'login'];

/** A decoy session id: 12 lowercase hex digits, as the decoy writes them. */
export function isSessionId(v: string): boolean {
  return /^[0-9a-f]{12}$/.test(v);
}

export function parseQuery(qs: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(qs)) out[k] = v;
  return out;
}

/** Parses `location.hash`; an empty hash is the overview. */
export function parseRoute(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const query = q >= 0 ? parseQuery(raw.slice(q + 1)) : {};
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 0) return { page: 'overview', query };
  const [head, ...rest] = parts;
  if (head === 'source' && rest.length > 0) {
    let address: string;
    try {
      address = decodeURIComponent(rest.join('/'));
    } catch {
      return { page: 'notfound', query };
    }
    return { page: 'source', address, query };
  }
  // Anything but a session id is not a page: the id goes into an API path as it is.
  if (head === 'decoy' && rest.length === 1) {
    const [session] = rest;
    return session !== undefined && isSessionId(session) ? { page: 'decoy-session', session, query } : { page: 'notfound', query };
  }
  if (rest.length === 0 && (SIMPLE as readonly string[]).includes(head ?? '')) {
    return { page: head as PageName, query };
  }
  return { page: 'notfound', query };
}

/**
 * Builds a hash ("#/sources?country=JP"); empty and undefined query values are dropped.
 * `param` is the address of `source` or the session of `decoy-session`.
 */
export function formatRoute(page: PageName, query: Record<string, string | undefined> = {}, param?: string): string {
  const path =
    page === 'source' ? `/source/${encodeURIComponent(param ?? '')}` : page === 'decoy-session' ? `/decoy/${encodeURIComponent(param ?? '')}` : `/${page}`;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

/** What formatRoute needs to build `route` again: its address or session. */
export function routeParam(route: Route): string | undefined {
  return route.page === 'decoy-session' ? route.session : route.address;
}

/** The current route as text, for the login page's `next`. */
export function currentRouteText(): string {
  const h = location.hash.replace(/^#/, '');
  return h === '' ? '/overview' : h;
}

/**
 * Where `next` may send the user after login: only our own hash routes, never another
 * origin (an open redirect would let a crafted link bounce the user away after login).
 */
export function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//')) return '#/overview';
  const route = parseRoute(next);
  if (route.page === 'notfound' || route.page === 'login') return '#/overview';
  return `#${next}`;
}
