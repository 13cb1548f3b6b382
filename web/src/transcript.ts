// The decoy's records as text: one line per record of a session's transcript, and the
// escaping every string from an attacker goes through before it is shown (as text, never as
// markup: dom.ts builds with textContent).

import type { DecoyEvent } from './api';
import { formatInt } from './format';
import { translate, type Lang, type MessageKey } from './i18n';

/** Longest MQTT payload shown in a line; the decoy keeps 4 KiB, which would bury the rest. */
export const PAYLOAD_CHARS = 300;

const ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * An attacker's string as it can be shown: control characters (a loader's `\r`, an ANSI
 * escape, NUL) and the bidirectional controls that make text read other than it is (U+202E)
 * become visible escapes. Backslashes stay as they are: loaders' `echo -ne '\x7f...'` lines
 * are full of them, and doubling each would make those lines unreadable.
 */
export function visible(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return ESCAPES[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
  });
}

/** A pair tried at the login prompt as `user/password`; an empty password says so. */
export function credentialText(username: string, password: string, lang: Lang): string {
  const pass = password === '' ? ` ${translate(lang, 'decoy.emptyPassword')}` : visible(password);
  return `${visible(username)}/${pass}`;
}

/** The login of a recent session as `user/password`, or a dash when none succeeded. */
export function loginText(login: { username: string; password: string } | null | undefined, lang: Lang): string {
  return login ? credentialText(login.username, login.password, lang) : '—';
}

const text = (v: unknown): string => (typeof v === 'string' ? visible(v) : '');
const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** `address:port`, in brackets for IPv6 as in a URL. */
function endpoint(ip: unknown, port: unknown): string {
  const addr = text(ip);
  const p = count(port);
  if (p === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${p}` : `${addr}:${p}`;
}

function clip(s: string, chars: number): string {
  return s.length > chars ? `${s.slice(0, chars)}…` : s;
}

/**
 * What a record says, as one line of the transcript: `login root/xc3511 ✓`, `$ <input>`,
 * `download <url>`, `wrote <file> sha256 <hash> (<size> bytes)`, `closed after <n> ms`, an
 * HTTP request line, MQTT topics. A record of an event this page does not know shows its
 * `message`; a stored line that is not JSON (the API gives it as a string) shows as it is.
 */
export function eventLine(e: DecoyEvent | string, lang: Lang): string {
  if (typeof e === 'string') return visible(e);
  const tr = (key: MessageKey, params: Record<string, string | number>) => translate(lang, key, params);
  switch (e.eventid) {
    case 'cowrie.session.connect':
      return tr('decoy.line.connect', { from: endpoint(e.src_ip, e.src_port), to: endpoint(e.dst_ip, e.dst_port), protocol: text(e.protocol) });
    case 'cowrie.login.success':
    case 'cowrie.login.failed': {
      const credential = credentialText(typeof e.username === 'string' ? e.username : '', typeof e.password === 'string' ? e.password : '', lang);
      return tr(e.eventid === 'cowrie.login.success' ? 'decoy.line.loginOk' : 'decoy.line.loginFailed', { credential });
    }
    case 'cowrie.command.input':
      return tr('decoy.line.command', { input: text(e.input) });
    case 'cowrie.command.failed':
      return tr('decoy.line.unknownCommand', { input: text(e.input) });
    case 'cowrie.session.file_download': {
      // A download command carries its URL; bytes the session wrote itself carry their hash.
      const destfile = text(e.destfile);
      if (typeof e.url === 'string') {
        return destfile ? tr('decoy.line.downloadTo', { url: text(e.url), destfile }) : tr('decoy.line.download', { url: text(e.url) });
      }
      return tr('decoy.line.wrote', { destfile, sha256: text(e.shasum), size: formatInt(count(e.size), lang) });
    }
    case 'cowrie.session.closed':
      return tr('decoy.line.closed', { ms: formatInt(count(e.duration_ms), lang) });
    case 'yamori.http.request': {
      const request = { method: text(e.method), uri: text(e.uri) };
      return typeof e.exploit === 'string' && e.exploit ? tr('decoy.line.httpExploit', { ...request, exploit: text(e.exploit) }) : tr('decoy.line.http', request);
    }
    case 'yamori.mqtt.connect':
      return tr('decoy.line.mqttConnect', { client: text(e.client_id), level: count(e.level) ?? '—' });
    case 'yamori.mqtt.subscribe':
      return tr('decoy.line.mqttSubscribe', { topic: text(e.topic) });
    case 'yamori.mqtt.publish':
      return tr('decoy.line.mqttPublish', { topic: text(e.topic), size: formatInt(count(e.size), lang), payload: clip(text(e.payload), PAYLOAD_CHARS) });
    default:
      return text(e.message) || text(e.eventid);
  }
}

/** A row class for the events worth telling apart at a glance. */
export function eventClass(eventid: string): string | undefined {
  switch (eventid) {
    case 'cowrie.login.success':
      return 'ev-login-ok';
    case 'cowrie.login.failed':
      return 'ev-login-failed';
    case 'cowrie.command.input':
    case 'cowrie.command.failed':
      return 'ev-command';
    case 'cowrie.session.file_download':
      return 'ev-download';
    default:
      return undefined;
  }
}
