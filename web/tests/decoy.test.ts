import { describe, expect, it } from 'vitest';
import type { DecoyEvent } from '../src/api';
import { formatTimeMs } from '../src/format';
import { formatRoute, parseRoute, safeNext } from '../src/router';
import { DEFAULT_WINDOW, denseSeries, windowFromQuery, windowLabel } from '../src/pages/decoy';
import { credentialText, eventClass, eventLine, loginText, PAYLOAD_CHARS, visible } from '../src/transcript';

const at = { timestamp: '2026-12-07T23:40:01.123456Z', session: '0123456789ab', src_ip: '127.0.0.2', src_port: 40312, dst_ip: '127.0.0.1', dst_port: 2323, protocol: 'telnet' };
const ev = (eventid: string, extra: Partial<DecoyEvent> = {}): DecoyEvent => ({ eventid, ...at, message: 'm', ...extra });

describe('attacker text', () => {
  it('shows control and bidirectional characters as escapes', () => {
    expect(visible('ls\r\n\tx')).toBe('ls\\r\\n\\tx');
    expect(visible('\u001b[31mred\u0000')).toBe('\\x1b[31mred\\x00');
    expect(visible('\u007f\u0085')).toBe('\\x7f\\x85');
    expect(visible('r\u202eoot')).toBe('r\\u{202e}oot');
    expect(visible('a\u2066b\u200fc')).toBe('a\\u{2066}b\\u{200f}c');
  });
  it('leaves printable text, markup and backslashes as they are', () => {
    expect(visible("echo -ne '\\x7f\\x45' > .d")).toBe("echo -ne '\\x7f\\x45' > .d");
    expect(visible('<script>alert(1)</script>')).toBe('<script>alert(1)</script>');
    expect(visible('ユーザー é')).toBe('ユーザー é');
  });
  it('writes pairs and logins', () => {
    expect(credentialText('root', 'xc3511', 'en')).toBe('root/xc3511');
    expect(credentialText('admin', '', 'en')).toBe('admin/ (empty password)');
    expect(credentialText('admin', '', 'ja')).toBe('admin/ （空のパスワード）');
    expect(credentialText('ro\not', 'x\u001b', 'en')).toBe('ro\\not/x\\x1b');
    expect(loginText({ username: 'root', password: 'xc3511' }, 'en')).toBe('root/xc3511');
    expect(loginText({ username: 'admin', password: '' }, 'en')).toBe('admin/ (empty password)');
    expect(loginText(null, 'en')).toBe('—');
    expect(loginText(undefined, 'en')).toBe('—');
  });
});

describe('transcript lines', () => {
  it('says what each record of a telnet session did', () => {
    expect(eventLine(ev('cowrie.session.connect'), 'en')).toBe('connect 127.0.0.2:40312 → 127.0.0.1:2323 (telnet)');
    expect(eventLine(ev('cowrie.login.success', { username: 'root', password: 'xc3511' }), 'en')).toBe('login root/xc3511 ✓');
    expect(eventLine(ev('cowrie.login.failed', { username: 'root', password: 'vizxv' }), 'en')).toBe('login root/vizxv ✗');
    expect(eventLine(ev('cowrie.login.success', { username: 'root', password: 'xc3511' }), 'ja')).toBe('ログイン root/xc3511 ✓');
    expect(eventLine(ev('cowrie.command.input', { input: '/bin/busybox ECCHI' }), 'en')).toBe('$ /bin/busybox ECCHI');
    expect(eventLine(ev('cowrie.command.failed', { input: 'ECCHI' }), 'en')).toBe('unknown command: ECCHI');
    expect(eventLine(ev('cowrie.session.closed', { duration_ms: 4200 }), 'en')).toBe('closed after 4,200 ms');
    expect(eventLine(ev('cowrie.session.closed', { duration_ms: 4200 }), 'ja')).toBe('4,200 ms 後に切断');
  });
  it('tells a download URL from bytes the session wrote', () => {
    const url = 'http://203.0.113.7/bins/mirai.arm7';
    expect(eventLine(ev('cowrie.session.file_download', { url }), 'en')).toBe(`download ${url}`);
    expect(eventLine(ev('cowrie.session.file_download', { url, destfile: '/tmp/.x' }), 'en')).toBe(`download ${url} → /tmp/.x`);
    const shasum = 'ab'.repeat(32);
    expect(eventLine(ev('cowrie.session.file_download', { destfile: '/tmp/.d', shasum, size: 61234 }), 'en')).toBe(`wrote /tmp/.d sha256 ${shasum} (61,234 bytes)`);
    expect(eventLine(ev('cowrie.session.file_download', { destfile: '/tmp/.d', shasum, size: 4 }), 'ja')).toBe(`/tmp/.d に書き込み sha256 ${shasum}（4 バイト）`);
  });
  it('writes HTTP requests and MQTT topics', () => {
    expect(eventLine(ev('yamori.http.request', { method: 'GET', uri: '/' }), 'en')).toBe('GET /');
    expect(eventLine(ev('yamori.http.request', { method: 'POST', uri: '/GponForm/diag_Form?images/', exploit: 'Dasan GPON' }), 'en')).toBe(
      'POST /GponForm/diag_Form?images/ (exploit: Dasan GPON)',
    );
    expect(eventLine(ev('yamori.mqtt.connect', { client_id: 'bot-1', level: 4 }), 'en')).toBe('MQTT connect, client id bot-1 (protocol level 4)');
    expect(eventLine(ev('yamori.mqtt.subscribe', { topic: '#' }), 'en')).toBe('MQTT subscribe #');
    expect(eventLine(ev('yamori.mqtt.publish', { topic: 'a/b', size: 5, payload: 'hello' }), 'en')).toBe('MQTT publish a/b (5 bytes): hello');
    const long = eventLine(ev('yamori.mqtt.publish', { topic: 't', size: 4096, payload: 'x'.repeat(4096) }), 'en');
    expect(long).toBe(`MQTT publish t (4,096 bytes): ${'x'.repeat(PAYLOAD_CHARS)}…`);
  });
  it('escapes what the attacker sent and takes nothing in it for a placeholder', () => {
    expect(eventLine(ev('cowrie.command.input', { input: 'x {input} $& \u001b[2J' }), 'en')).toBe('$ x {input} $& \\x1b[2J');
    expect(eventLine(ev('cowrie.login.failed', { username: '{credential}', password: '' }), 'en')).toBe('login {credential}/ (empty password) ✗');
  });
  it('survives records with missing or mistyped fields', () => {
    expect(eventLine({ eventid: 'cowrie.command.input' }, 'en')).toBe('$ ');
    expect(eventLine({ eventid: 'cowrie.session.closed', duration_ms: '12' as unknown as number }, 'en')).toBe('closed after — ms');
    expect(eventLine({ eventid: 'cowrie.session.connect', src_ip: '2001:db8::1', src_port: 1, dst_ip: '::1', dst_port: 23 }, 'en')).toBe('connect [2001:db8::1]:1 → [::1]:23 ()');
    expect(eventLine(ev('cowrie.client.version', { message: 'Remote SSH version: \u001b' }), 'en')).toBe('Remote SSH version: \\x1b');
    expect(eventLine({ eventid: 'yamori.something.new' }, 'en')).toBe('yamori.something.new');
    // A stored line that is not JSON comes as a string: shown whole, escaped.
    expect(eventLine('not json \u001b', 'en')).toBe('not json \\x1b');
  });
  it('marks logins, commands and downloads for the eye', () => {
    expect(eventClass('cowrie.login.success')).toBe('ev-login-ok');
    expect(eventClass('cowrie.login.failed')).toBe('ev-login-failed');
    expect(eventClass('cowrie.command.input')).toBe('ev-command');
    expect(eventClass('cowrie.session.file_download')).toBe('ev-download');
    expect(eventClass('cowrie.session.connect')).toBeUndefined();
  });
  it('shows record times to the millisecond', () => {
    expect(formatTimeMs('2026-12-07T23:40:01.123456Z')).toBe('2026-12-07 23:40:01.123Z');
    expect(formatTimeMs('2026-12-07T23:40:01Z')).toBe('2026-12-07 23:40:01.000Z');
    expect(formatTimeMs(undefined)).toBe('—');
    expect(formatTimeMs('soon')).toBe('soon');
  });
});

describe('decoy routes', () => {
  it('reads the page and a session, and only a session id', () => {
    expect(parseRoute('#/decoy?window=24')).toEqual({ page: 'decoy', query: { window: '24' } });
    expect(parseRoute('#/decoy/0123456789ab?window=24')).toEqual({ page: 'decoy-session', session: '0123456789ab', query: { window: '24' } });
    expect(parseRoute('#/decoy/0123456789AB').page).toBe('notfound');
    expect(parseRoute('#/decoy/0123456789a').page).toBe('notfound');
    expect(parseRoute('#/decoy/..%2Fsessions').page).toBe('notfound');
    expect(parseRoute('#/decoy/0123456789ab/x').page).toBe('notfound');
  });
  it('builds them and allows them after login', () => {
    expect(formatRoute('decoy', { window: '720' })).toBe('#/decoy?window=720');
    expect(formatRoute('decoy-session', { window: '24' }, '0123456789ab')).toBe('#/decoy/0123456789ab?window=24');
    expect(safeNext('/decoy/0123456789ab')).toBe('#/decoy/0123456789ab');
  });
});

describe('decoy page helpers', () => {
  it('reads the window from the address, the API default otherwise', () => {
    expect(windowFromQuery({ window: '24' })).toBe(24);
    expect(windowFromQuery({ window: '8760' })).toBe(8760);
    expect(DEFAULT_WINDOW).toBe(168);
    for (const bad of ['', '0', '8761', '-1', '1.5', '24h', ' 24', '99999']) expect(windowFromQuery({ window: bad }), bad).toBe(168);
    expect(windowFromQuery({})).toBe(168);
  });
  it('names windows in hours or whole days', () => {
    expect(windowLabel(1, 'en')).toBe('Last hour');
    expect(windowLabel(24, 'en')).toBe('Last 24 hours');
    expect(windowLabel(36, 'en')).toBe('Last 36 hours');
    expect(windowLabel(168, 'en')).toBe('Last 7 days');
    expect(windowLabel(720, 'ja')).toBe('直近 30 日間');
  });
  it('fills the buckets without records with zeros', () => {
    const s = denseSeries({
      since: '2026-12-07T20:00:00Z',
      now: '2026-12-07T23:40:00Z',
      bucket_seconds: 3600,
      series: [
        { t: '2026-12-07T21:00:00Z', sessions: 2, logins: 3, commands: 10 },
        { t: '2026-12-07T23:00:00Z', sessions: 1, logins: 1, commands: 0 },
      ],
    });
    const h = (hh: number) => Date.parse(`2026-12-07T${hh}:00:00Z`) / 1000;
    expect(s).toEqual({ t: [h(20), h(21), h(22), h(23)], sessions: [0, 2, 0, 1], logins: [0, 3, 0, 1], commands: [0, 10, 0, 0] });
  });
  it('keeps buckets the grid does not foresee and draws nothing for an empty window it cannot place', () => {
    const s = denseSeries({ since: 'x', now: 'y', bucket_seconds: 3600, series: [{ t: '2026-12-07T21:30:00Z', sessions: 1, logins: 0, commands: 0 }] });
    expect(s.t).toEqual([Date.parse('2026-12-07T21:30:00Z') / 1000]);
    expect(denseSeries({ since: 'x', now: 'y', bucket_seconds: 0, series: [] }).t).toEqual([]);
  });
});
