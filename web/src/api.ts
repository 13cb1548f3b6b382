// Typed client of the dashboard API (docs/api/openapi.yaml). Same origin as the page, so
// relative URLs and the `yamori_session` cookie are all that is needed.

import type { TimeRange } from './range';

// ---- Model (mirrors components/schemas of the OpenAPI document) ----

export interface Me {
  user: string;
  expires?: string | null;
}

export type Category =
  | 'tcp_syn' | 'tcp_synack' | 'tcp_ack' | 'tcp_fin' | 'tcp_rst' | 'tcp_push' | 'tcp_other'
  | 'udp' | 'icmp' | 'other';

export type Kind = 'mirai' | 'zmap' | 'masscan' | 'scanner' | 'backscatter' | 'tcp_syn' | 'other';
export const KINDS: readonly Kind[] = ['mirai', 'zmap', 'masscan', 'scanner', 'backscatter', 'tcp_syn', 'other'];

export type Tool = 'mirai' | 'zmap' | 'masscan' | 'unknown';
export const TOOLS: readonly Tool[] = ['mirai', 'zmap', 'masscan', 'unknown'];

export interface Range {
  from: string;
  to: string;
  data_from?: string | null;
  data_to?: string | null;
}

export interface PortCount {
  port: number;
  packets: number;
}

export interface Source {
  address: string;
  packets: number;
  bytes: number;
  first_seen: string;
  last_seen: string;
  destinations?: number;
  destination_ports?: number;
  scanner: boolean;
  scan?: 'horizontal' | 'vertical' | 'block' | null;
  tool: Tool;
  kind: Kind;
  country?: string | null;
  asn?: number | null;
  as_org?: string | null;
  latitude?: number | null;
  longitude?: number | null;
  /** Imported warninglists holding the address (absent when none). */
  warninglists?: string[];
  /** A scanner a list of (research) scanners holds. */
  benign_scanner?: boolean;
}

export interface TimelineEntry {
  analysis_id?: string;
  first_seen?: string;
  last_seen?: string;
  packets?: number;
  scanner_windows?: string[];
}

/** STIX 2.1 objects are passed through as JSON; only the fields the page shows are named. */
export interface StixIndicator {
  id?: string;
  name?: string;
  pattern?: string;
  confidence?: number;
  valid_from?: string;
  valid_until?: string;
  [k: string]: unknown;
}

export interface StixSighting {
  id?: string;
  sighting_of_ref?: string;
  count?: number;
  first_seen?: string;
  last_seen?: string;
  [k: string]: unknown;
}

export interface SourceDetail extends Source {
  top_ports: PortCount[];
  fingerprint_matches: Record<string, number>;
  syn_probes: number;
  ttl_min?: number;
  ttl_max?: number;
  timeline: TimelineEntry[];
  indicators: StixIndicator[];
  sightings: StixSighting[];
}

export interface Attack {
  victim: string;
  start: string;
  end: string;
  packets: number;
  peak_pps: number;
  mean_pps: number;
  ports: PortCount[];
  darknet_destinations?: number;
  kinds: string[];
  country?: string | null;
  asn?: number | null;
}

export interface Series {
  bucket_secs: number;
  t: number[];
  categories: Category[];
  counts: number[][];
}

export interface CountryCount {
  country: string;
  packets: number;
  sources: number;
}

export interface MapPoint {
  address: string;
  latitude: number;
  longitude: number;
  country?: string | null;
  packets: number;
  kind: Kind;
}

export interface Overview {
  range: Range;
  totals: {
    packets: number;
    bytes: number;
    sources: number;
    scanners: number;
    attacks: number;
    by_category: Record<string, number>;
  };
  series: Series;
  top_tcp_ports: PortCount[];
  top_udp_ports: PortCount[];
  top_sources: Source[];
  scanners_by_tool: Record<Tool, number>;
  countries: CountryCount[];
  map: MapPoint[];
  attacks: Attack[];
  geo: {
    located: number;
    unlocated: number;
    reason?: string | null;
    attribution?: string | null;
  };
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface Vulnerability {
  cve?: string;
  kev?: boolean;
  cvss?: number | null;
}

export interface Device {
  address?: string;
  port?: number;
  service?: string;
  device_type?: string | null;
  vendor?: string | null;
  product?: string | null;
  weak_credentials?: boolean;
  vulnerabilities?: Vulnerability[];
}

export interface Survey {
  available: boolean;
  reason?: string | null;
  devices?: Device[];
}

export interface Collection {
  id: string;
  api_root?: string;
  alias?: string | null;
  title: string;
  can_read: boolean;
  can_write: boolean;
}

export interface IntelIndicator {
  id?: string;
  collection?: string;
  name?: string | null;
  pattern?: string;
  confidence?: number | null;
  /** Confidence × the source's trust, decayed by age and sightings (docs/TRUST.md §1). */
  score?: number | null;
  valid_from?: string;
  valid_until?: string | null;
  modified?: string;
}

/** `GET /api/v1/observable`: who reported a value and which of our sensors saw it. */
export interface Observable {
  value: string;
  kind: string;
  values: Array<{ value: string; relation: string; reports: number | null; capped: boolean; first_added: string; last_added: string }>;
  reports: Array<{
    value: string;
    relation: string;
    collection: string;
    collection_id: string;
    object_id: string;
    object_type: string;
    created_by: string | null;
    first_added: string;
    last_added: string;
  }>;
  truncated: boolean;
  seen_by: {
    telescope: Array<{ sensor: string | null; analyses: number; first_seen: string; last_seen: string; packets: number; scanner: boolean }>;
    decoy: { sessions: number; records: number; first_seen: string; last_seen: string } | null;
  } | null;
  index_complete: boolean;
}

export interface IntelSighting {
  id?: string;
  collection?: string;
  sighting_of_ref?: string;
  count?: number | null;
  first_seen?: string | null;
  last_seen?: string | null;
}

export interface Peer {
  direction?: 'pull' | 'push';
  url?: string;
  collection?: string;
  position?: string;
}

export interface Intel {
  collections: Collection[];
  indicators: IntelIndicator[];
  sightings: IntelSighting[];
  peers: Peer[];
}

// ---- Errors ----

/** A non-2xx answer; `message` is the server's `error` text when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * A 401 that has already been handled by sending the user to the login page. Pages ignore
 * it (showing an error box on a page that is being left would only flicker).
 */
export class AuthRedirect extends Error {
  constructor() {
    super('login required');
    this.name = 'AuthRedirect';
  }
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

// ---- Transport ----

type Query = Record<string, string | number | boolean | undefined | null>;

let onUnauthorized: () => void = () => {};

/** main.ts installs the redirect to `#/login?next=...&expired=1`. */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '' && v !== false) p.set(k, String(v));
  }
  const qs = p.toString();
  return qs ? `${path}?${qs}` : path;
}

async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: unknown };
    if (typeof body.error === 'string' && body.error) return body.error;
  } catch {
    // Not JSON (a proxy's HTML page, say): fall back to the status text.
  }
  return res.statusText || `HTTP ${res.status}`;
}

interface RequestOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** Login itself answers 401 for a wrong password; that must not bounce to the login page. */
  noAuthRedirect?: boolean;
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = {
    method: opts.method ?? 'GET',
    credentials: 'same-origin',
    headers,
    signal: opts.signal ?? null,
  };
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  const res = await fetch(withQuery(`/api/v1${path}`, opts.query), init);
  if (res.status === 401 && !opts.noAuthRedirect) {
    onUnauthorized();
    throw new AuthRedirect();
  }
  if (!res.ok) throw new ApiError(res.status, await errorMessage(res));
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A sensor minute's capture counters (or several minutes' summed). */
export interface SensorCounts {
  captured: number;
  captured_bytes: number;
  undecodable: number;
  late: number;
  kernel_packets: number;
  kernel_drops: number;
  kernel_freezes: number;
  interface_drops: number;
}

export type SensorStatus = 'live' | 'late' | 'silent';

/** `GET /api/v1/sensors`: each live sensor's health. */
export interface Sensors {
  now: string;
  window_minutes: number;
  sensors: Array<{
    sensor_id: string;
    status: SensorStatus;
    lag_seconds: number;
    minutes: number;
    first_minute: string;
    last_minute: string;
    last_partial: boolean;
    last: SensorCounts;
    recent_minutes: number;
    recent: SensorCounts;
  }>;
}

/** `GET /api/v1/decoy`: what the decoy (`yamori decoy`) recorded over the last `window_hours`. */
export interface Decoy {
  now: string;
  since: string;
  window_hours: number;
  bucket_seconds: number;
  sessions: number;
  sources: number;
  logins_succeeded: number;
  logins_failed: number;
  commands: number;
  /** Download records that carry a URL (a URL named twice counts twice). */
  downloads: number;
  /** Only buckets with records, ascending. */
  series: Array<{ t: string; sessions: number; logins: number; commands: number }>;
  credentials: Array<{ username: string; password: string; attempts: number; succeeded: number }>;
  commands_top: Array<{ input: string; count: number; sessions: number }>;
  /** `host` is null when the URL names none. */
  urls: Array<{ url: string; host: string | null; sessions: number; sources: number; first_seen: string; last_seen: string }>;
  attackers: Array<{ src_ip: string; sessions: number; logins_succeeded: number; commands: number; downloads: number; first_seen: string; last_seen: string }>;
  recent_sessions: DecoySessionRow[];
}

export interface DecoySessionRow {
  session: string;
  src_ip: string;
  protocol: string;
  start: string;
  /** null while the session is open. */
  end: string | null;
  /** The pair that logged in; null when none did. */
  login: { username: string; password: string } | null;
  commands: number;
  downloads: number;
}

/**
 * One record as the decoy wrote it (docs/DECOY.md, "Records"). Every field but the event id
 * may be missing from a record some other writer put in the store, and every string in it
 * is the attacker's: shown as text only.
 */
export interface DecoyEvent {
  eventid: string;
  timestamp?: string;
  session?: string;
  src_ip?: string;
  src_port?: number;
  dst_ip?: string;
  dst_port?: number;
  protocol?: string;
  message?: string;
  username?: string;
  password?: string;
  input?: string;
  url?: string;
  destfile?: string;
  shasum?: string;
  size?: number;
  duration_ms?: number;
  method?: string;
  uri?: string;
  user_agent?: string;
  exploit?: string;
  client_id?: string;
  level?: number;
  topic?: string;
  payload?: string;
  [k: string]: unknown;
}

/**
 * `GET /api/v1/decoy/sessions/{session}`: one session's records in the order they were
 * written; a stored line that is not JSON comes as a string.
 */
export interface DecoySession {
  session: string;
  events: Array<DecoyEvent | string>;
}

// ---- Endpoints ----

const rangeQuery = (r: TimeRange): Query => ({ from: r.from, to: r.to });

export const api = {
  me: (signal?: AbortSignal) => request<Me>('/me', { signal }),
  login: (username: string, password: string) =>
    request<Me>('/session', { method: 'POST', body: { username, password }, noAuthRedirect: true }),
  logout: () => request<void>('/session', { method: 'DELETE', noAuthRedirect: true }),
  overview: (r: TimeRange, top = 10, signal?: AbortSignal) =>
    request<Overview>('/overview', { query: { ...rangeQuery(r), top }, signal }),
  sources: (
    r: TimeRange,
    f: { country?: string; tool?: string; scanners?: boolean; cursor?: string; limit?: number },
    signal?: AbortSignal,
  ) => request<Page<Source>>('/sources', { query: { ...rangeQuery(r), ...f }, signal }),
  source: (address: string, signal?: AbortSignal) =>
    request<SourceDetail>(`/sources/${encodeURIComponent(address)}`, { signal }),
  attacks: (r: TimeRange, f: { cursor?: string; limit?: number }, signal?: AbortSignal) =>
    request<Page<Attack>>('/attacks', { query: { ...rangeQuery(r), ...f }, signal }),
  survey: (signal?: AbortSignal) => request<Survey>('/survey', { signal }),
  intel: (signal?: AbortSignal) => request<Intel>('/intel', { signal }),
  observable: (value: string, signal?: AbortSignal) =>
    request<Observable>('/observable', { query: { value, limit: 100 }, signal }),
  sensors: (windowMinutes: number, signal?: AbortSignal) =>
    request<Sensors>('/sensors', { query: { window: windowMinutes }, signal }),
  decoy: (windowHours: number, top = 10, signal?: AbortSignal) =>
    request<Decoy>('/decoy', { query: { window: windowHours, top }, signal }),
  decoySession: (session: string, signal?: AbortSignal) =>
    request<DecoySession>(`/decoy/sessions/${encodeURIComponent(session)}`, { signal }),
};
