// End-to-end test of the dashboard: the real `yamori demo` (generated capture → analysis →
// STIX → hub) driven in Debian's Chromium with playwright-core. Run by scripts/test-all:
//   YAMORI_BIN=target/debug/yamori node --test web/e2e/
// Screenshots of every page go to $YAMORI_SCREENSHOTS (default target/screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.resolve(root, process.env.YAMORI_BIN ?? 'target/debug/yamori');
const shots = path.resolve(root, process.env.YAMORI_SCREENSHOTS ?? 'target/screenshots');
fs.mkdirSync(shots, { recursive: true });

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

/** Start `yamori demo` in a fresh data dir; resolves when the dashboard answers. */
async function startDemo(geo, extra = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yamori-e2e-'));
  const port = await freePort();
  const started = Date.now();
  const proc = spawn(bin, ['--data-dir', dir, '-q', 'demo', '--geo', geo, '--minutes', '30', '--listen', `127.0.0.1:${port}`, ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr.on('data', (d) => (log += d));
  const base = `https://127.0.0.1:${port}/`;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`yamori demo exited ${proc.exitCode}:\n${log}`);
    if (Date.now() - started > 120_000) throw new Error(`dashboard did not answer in 120 s:\n${log}`);
    try {
      const login = JSON.parse(fs.readFileSync(path.join(dir, 'demo/login.json'), 'utf8'));
      const ok = await probe(port);
      if (ok) {
        const secs = (Date.now() - started) / 1000;
        console.log(`demo --geo ${geo}: dashboard answering ${secs.toFixed(1)} s after start`);
        return { dir, proc, base, login, truth: JSON.parse(fs.readFileSync(path.join(dir, 'demo/truth.json'), 'utf8')) };
      }
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Whether the dashboard answers `GET /` with 200 (the demo's own CA is not checked here). */
function probe(port) {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

/** Chromium: $CHROMIUM, else `chromium` or `chromium-browser` on the PATH. */
function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const p = path.join(dir, name);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  return null;
}

// Without Chromium the suite (YAMORI_SUITE=1, scripts/test-all) fails here; other runs skip
// every test with the reason in its result, and add it to $YAMORI_SKIP_LOG for the suite's list.
const chromiumPath = findChromium();
const skip = chromiumPath ? false : 'Chromium not found (apt-get install chromium, or scripts/setup; or set CHROMIUM)';
if (skip) {
  const line = `web/e2e: the dashboard's end-to-end tests did not run: ${skip}`;
  if (process.env.YAMORI_SKIP_LOG) fs.appendFileSync(process.env.YAMORI_SKIP_LOG, `${line}\n`);
  if (process.env.YAMORI_SUITE === '1') {
    throw new Error(`${line}\n(YAMORI_SUITE=1: the suite runs every check; scripts/setup installs the peers)`);
  }
}

const launchArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let browser;
let demo;
let nogeo;

before(async () => {
  if (skip) return;
  [demo, nogeo] = await Promise.all([startDemo('generated'), startDemo('none', ['--no-survey'])]);
  browser = await chromium.launch({ executablePath: chromiumPath, args: launchArgs });
});

after(async () => {
  await browser?.close();
  for (const d of [demo, nogeo]) {
    d?.proc.kill('SIGTERM');
    if (d) fs.rmSync(d.dir, { recursive: true, force: true });
  }
});

/** A page whose console errors and uncaught exceptions are collected. */
async function open(d, locale = 'en-US') {
  const ctx = await browser.newContext({ locale, ignoreHTTPSErrors: true, viewport: { width: 1360, height: 1000 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return { ctx, page, errors };
}

async function login(page, d, password = d.login.password) {
  await page.fill('form[data-testid=login-form] input[name=username]', d.login.username);
  await page.fill('form[data-testid=login-form] input[name=password]', password);
  await page.click('form[data-testid=login-form] button[type=submit]');
}

/** GET an API path with the page's session cookie. */
const api = (page, p) =>
  page.evaluate(async (p) => {
    const r = await fetch(p, { credentials: 'same-origin' });
    return { status: r.status, body: await r.json() };
  }, p);

const value = async (page, sel) => Number(await page.getAttribute(sel, 'data-value'));

async function visit(page, d, route, ready) {
  await page.goto(`${d.base}#${route}`);
  await page.waitForSelector(ready, { timeout: 15_000 });
}

test('login is required, a wrong password is refused, then every page loads without console errors', { skip }, async () => {
  const { ctx, page, errors } = await open(demo);
  await page.goto(demo.base);
  await page.waitForSelector('form[data-testid=login-form]');
  const anon = await api(page, '/api/v1/overview');
  assert.equal(anon.status, 401);
  await login(page, demo, 'wrong-password');
  await page.waitForSelector('[data-testid=login-error]');
  // The 401s above are the browser reporting refused requests, on purpose; from here on none.
  errors.length = 0;
  await login(page, demo);
  await page.waitForSelector('[data-testid=total-packets]');
  await page.waitForSelector('circle.source');
  await page.screenshot({ path: path.join(shots, 'overview.png'), fullPage: true });

  const pages = [
    ['/sources', 'tr[data-testid=source-row]', 'sources'],
    ['/attacks', 'tr[data-testid=attack-row]', 'attacks'],
    ['/survey', '[data-testid=device-row]', 'survey'],
    ['/intel', '[data-testid=indicator-row]', 'intel'],
    ['/sensors', '[data-testid=live-indicator]', 'sensors'],
  ];
  for (const [route, ready, name] of pages) {
    await visit(page, demo, route, ready);
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  }
  const top = (await api(page, '/api/v1/overview')).body.top_sources.find((s) => s.scanner);
  await visit(page, demo, `/source/${top.address}`, '[data-testid=source-packets]');
  await page.waitForSelector('[data-testid=indicator-row]');
  await page.screenshot({ path: path.join(shots, 'source.png'), fullPage: true });
  assert.deepEqual(errors, [], 'console errors on the dashboard pages');
  await ctx.close();
});

test('numbers on the pages equal the API', { skip }, async () => {
  const { ctx, page, errors } = await open(demo);
  await page.goto(demo.base);
  await login(page, demo);
  await page.waitForSelector('[data-testid=total-packets]');
  errors.length = 0;
  const o = (await api(page, '/api/v1/overview?top=10')).body;
  assert.ok(o.totals.packets > 0);
  for (const k of ['packets', 'sources', 'scanners', 'attacks']) {
    assert.equal(await value(page, `[data-testid=total-${k}]`), o.totals[k], `total ${k}`);
  }
  for (const t of ['mirai', 'zmap', 'masscan', 'unknown']) {
    assert.equal(await value(page, `[data-testid=scanners-${t}]`), o.scanners_by_tool[t], `scanners ${t}`);
  }
  const rows = await page.$$eval('tr[data-testid=top-source-row]', (trs) =>
    trs.map((tr) => [tr.dataset.address, Number(tr.querySelector('td[data-field=packets]').dataset.value)]),
  );
  assert.deepEqual(rows, o.top_sources.map((s) => [s.address, s.packets]));
  const ports = await page.$$eval('tr[data-testid=tcp-port-row]', (trs) =>
    trs.map((tr) => [Number(tr.dataset.port), Number(tr.querySelector('td[data-field=packets]').dataset.value)]),
  );
  assert.deepEqual(ports, o.top_tcp_ports.map((p) => [p.port, p.packets]));

  const s = (await api(page, '/api/v1/sources?limit=50')).body;
  await visit(page, demo, '/sources', 'tr[data-testid=source-row]');
  const first = await page.$eval('tr[data-testid=source-row]', (tr) => [tr.dataset.address, Number(tr.querySelector('td[data-field=packets]').dataset.value)]);
  assert.deepEqual(first, [s.items[0].address, s.items[0].packets]);

  const a = (await api(page, '/api/v1/attacks')).body;
  await visit(page, demo, '/attacks', 'tr[data-testid=attack-row]');
  const victims = await page.$$eval('tr[data-testid=attack-row]', (trs) => trs.map((tr) => tr.dataset.victim));
  assert.deepEqual(victims, a.items.map((x) => x.victim));
  // The generator's known victims are all there.
  for (const v of demo.truth.victims ?? []) {
    assert.ok(victims.includes(v.address ?? v.victim ?? v), `victim ${JSON.stringify(v)} listed`);
  }

  // The demo surveys emulated devices on 127.0.0.1: the page lists what the API has.
  const sv = (await api(page, '/api/v1/survey')).body;
  assert.equal(sv.available, true);
  await visit(page, demo, '/survey', '[data-testid=device-row]');
  assert.equal(await page.locator('[data-testid=device-row]').count(), sv.devices.length);
  assert.ok(sv.devices.some((d) => d.weak_credentials), 'the demo has a device with a default login');

  const scanner = o.top_sources.find((x) => x.scanner);
  const detail = (await api(page, `/api/v1/sources/${scanner.address}`)).body;
  await visit(page, demo, `/source/${scanner.address}`, '[data-testid=source-packets]');
  assert.equal(await value(page, '[data-testid=source-packets]'), detail.packets);
  assert.ok(detail.indicators.length >= 1, 'the scanner was published as an indicator');
  assert.equal(await page.locator('[data-testid=indicator-row]').count(), detail.indicators.length);
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('a source page and the intel lookup show who reported an address and which sensor saw it; indicators show their score', { skip }, async () => {
  const { ctx, page, errors } = await open(demo);
  await page.goto(demo.base);
  await login(page, demo);
  await page.waitForSelector('[data-testid=total-packets]');
  errors.length = 0;
  const scanner = (await api(page, '/api/v1/overview?top=10')).body.top_sources.find((x) => x.scanner);
  const seen = (await api(page, `/api/v1/observable?value=${scanner.address}&limit=100`)).body;
  assert.ok(seen.reports.length >= 1, 'the demo published the scanner as an indicator');
  assert.ok(seen.seen_by.telescope.length >= 1, 'the telescope saw the scanner');
  const rowsIn = (scope) =>
    page.$$eval(`${scope} tr[data-testid=report-row]`, (trs) => trs.map((tr) => [tr.dataset.id, tr.dataset.relation]));
  const wanted = seen.reports.map((r) => [r.object_id, r.relation]);

  await visit(page, demo, `/source/${scanner.address}`, '[data-testid=source-seen-by] [data-testid=observable]');
  assert.deepEqual(await rowsIn('[data-testid=source-seen-by]'), wanted);
  const sensors = await page.$$eval('[data-testid=source-seen-by] tr[data-testid=seen-row]', (trs) =>
    trs.map((tr) => [tr.dataset.kind, tr.dataset.sensor, Number(tr.querySelector('td[data-field=packets]').dataset.value ?? -1)]),
  );
  const telescope = seen.seen_by.telescope.map((s) => ['telescope', s.sensor ?? '', s.packets]);
  assert.deepEqual(sensors.filter((s) => s[0] === 'telescope'), telescope);
  assert.equal(sensors.some((s) => s[0] === 'decoy'), seen.seen_by.decoy != null);
  await page.screenshot({ path: path.join(shots, 'source-seen-by.png'), fullPage: true });

  const intel = (await api(page, '/api/v1/intel')).body;
  assert.ok(intel.indicators.some((i) => typeof i.score === 'number'), 'the API scores indicators');
  await visit(page, demo, '/intel', 'tr[data-testid=indicator-row]');
  const scores = await page.$$eval('tr[data-testid=indicator-row]', (trs) =>
    trs.map((tr) => {
      const v = tr.querySelector('td[data-field=score]').dataset.value;
      return v === undefined ? null : Number(v);
    }),
  );
  assert.deepEqual(scores, intel.indicators.map((i) => i.score ?? null));
  await page.fill('form[data-testid=observable-form] input[name=value]', scanner.address);
  await page.click('form[data-testid=observable-form] button[type=submit]');
  await page.waitForSelector('[data-testid=observable-result] [data-testid=observable]');
  assert.deepEqual(await rowsIn('[data-testid=observable-result]'), wanted);
  // A value that is not an observable: the API's 400 shows in the lookup, not as a crash.
  await page.fill('form[data-testid=observable-form] input[name=value]', 'not a value !');
  await page.click('form[data-testid=observable-form] button[type=submit]');
  await page.waitForSelector('[data-testid=observable-result] [data-testid=error]');
  await page.screenshot({ path: path.join(shots, 'intel-lookup.png'), fullPage: true });
  // The 400 above is the browser reporting a refused request, on purpose.
  assert.deepEqual(errors.filter((e) => !e.includes('400')), []);
  await ctx.close();
});

/** Polls `probe` until it returns something, for up to `ms`; fails with what `last` says. */
async function eventually(probe, ms, last) {
  const started = Date.now();
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() - started > ms) assert.fail(`not there after ${ms / 1000} s: ${last()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const TEST_NET_HOST = /^(203\.0\.113|198\.51\.100)\.\d{1,3}$/;

/** The host a recorded download URL names (a bot may leave out the scheme: `wget 203.0.113.7/x`). */
function urlHost(url) {
  for (const u of [url, `http://${url}`]) {
    try {
      return new URL(u).hostname;
    } catch {
      // not a URL this way
    }
  }
  return '';
}

test("the decoy page shows the demo attacker's logins, commands and URLs, and a session's transcript", { skip }, async () => {
  const { ctx, page, errors } = await open(demo);
  await page.goto(demo.base);
  await login(page, demo);
  await page.waitForSelector('[data-testid=total-packets]');
  errors.length = 0;
  assert.match((await page.getAttribute('[data-testid=nav-decoy]', 'href')) ?? '', /^#\/decoy(\?|$)/);
  // The demo's attacker may still be at work when the dashboard answers: wait until the API
  // (the page's own request: window 168 h, top 10) has what is asserted on the page below.
  let answer;
  const d = await eventually(
    async () => {
      answer = (await api(page, '/api/v1/decoy?window=168&top=10')).body;
      const ready =
        answer.sessions > 0 &&
        answer.credentials?.some((c) => c.username === 'root' && c.password === 'xc3511') &&
        answer.commands_top?.some((c) => c.input.includes('/bin/busybox')) &&
        answer.urls?.some((u) => TEST_NET_HOST.test(urlHost(u.url))) &&
        answer.attackers?.length > 0 &&
        answer.recent_sessions?.some((s) => s.login && s.commands > 0);
      return ready ? answer : null;
    },
    60_000,
    () => JSON.stringify(answer),
  );

  await visit(page, demo, '/decoy', 'tr[data-testid=decoy-session-row]');
  const sessions = await value(page, '[data-testid=decoy-total-sessions]');
  assert.ok(sessions > 0 && sessions >= d.sessions, `sessions ${sessions}, the API said ${d.sessions}`);
  await page.waitForSelector('[data-testid=decoy-timeseries] .uplot');
  const cells = (row, fields) =>
    page.$$eval(`tr[data-testid=${row}]`, (trs, fields) => trs.map((tr) => fields.map((f) => tr.querySelector(`td[data-field=${f}]`)?.textContent ?? '')), fields);
  const pairs = await cells('decoy-credential-row', ['username', 'password']);
  assert.ok(pairs.some(([u, p]) => u === 'root' && p === 'xc3511'), `credential rows: ${JSON.stringify(pairs)}`);
  const commands = await cells('decoy-command-row', ['input']);
  assert.ok(commands.some(([input]) => input.includes('/bin/busybox')), `command rows: ${JSON.stringify(commands)}`);
  const urls = await cells('decoy-url-row', ['url', 'host']);
  assert.ok(urls.some(([url]) => TEST_NET_HOST.test(urlHost(url))), `URL rows: ${JSON.stringify(urls)}`);
  // Malware URLs are text: nothing in their table can be clicked.
  assert.equal(await page.locator('[data-testid=decoy-urls-table] a').count(), 0);
  const attackers = await page.$$eval('tr[data-testid=decoy-attacker-row] td[data-field=address] a', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(attackers.length >= 1, 'an attacker row');
  assert.ok(attackers.every((href) => href.startsWith('#/source/')), `attacker links: ${attackers}`);
  await page.screenshot({ path: path.join(shots, 'decoy.png'), fullPage: true });

  // The first recent session that logged in and typed something: its transcript.
  const row = page.locator('tr[data-testid=decoy-session-row][data-login]:not([data-commands="0"])').first();
  const id = await row.getAttribute('data-session');
  const pair = await row.getAttribute('data-login');
  await row.locator('td[data-field=session] a').click();
  await page.waitForSelector('tr[data-testid=decoy-event-row]');
  assert.match(await page.evaluate(() => location.hash), new RegExp(`^#/decoy/${id}(\\?|$)`));
  assert.equal(await page.textContent('[data-testid=decoy-session-id]'), id);
  const lines = await page.$$eval('tr[data-testid=decoy-event-row]', (trs) => trs.map((tr) => [tr.dataset.eventid, tr.querySelector('td[data-field=line]').textContent]));
  assert.ok(
    lines.some(([e, line]) => e === 'cowrie.login.success' && line.startsWith(`login ${pair}`) && line.endsWith('✓')),
    `a login line for ${pair}: ${JSON.stringify(lines)}`,
  );
  assert.ok(lines.some(([e, line]) => e === 'cowrie.command.input' && line.startsWith('$ ')), `a command line: ${JSON.stringify(lines)}`);
  await page.screenshot({ path: path.join(shots, 'decoy-session.png'), fullPage: true });
  await page.click('[data-testid=decoy-back]');
  await page.waitForSelector('tr[data-testid=decoy-session-row]');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test("the map puts the generator's known sources inside their countries", { skip }, async () => {
  const { ctx, page, errors } = await open(demo);
  await page.goto(demo.base);
  await login(page, demo);
  await page.waitForSelector('circle.source');
  errors.length = 0; // the login page's refused /me before logging in
  await page.reload();
  await page.waitForSelector('circle.source');
  const o = (await api(page, '/api/v1/overview')).body;
  const truthScanners = new Set((demo.truth.scanners ?? []).map((s) => s.address ?? s.source ?? s));
  const known = o.map.filter((m) => truthScanners.has(m.address));
  assert.ok(known.length >= 20, `only ${known.length} known scanners on the map`);
  const placed = await page.evaluate((known) => {
    const out = [];
    for (const k of known) {
      const c = document.querySelector(`circle.source[data-address="${k.address}"]`);
      if (!c) {
        out.push({ address: k.address, missing: true });
        continue;
      }
      const country = c.getAttribute('data-country');
      const shape = document.querySelector(`path.country[data-iso="${country}"]`);
      const pt = new DOMPoint(Number(c.getAttribute('cx')), Number(c.getAttribute('cy')));
      out.push({ address: k.address, country, inside: !!shape && shape.isPointInFill(pt) });
    }
    return out;
  }, known);
  for (const p of placed) {
    const want = known.find((k) => k.address === p.address);
    assert.ok(!p.missing, `${p.address} has no bubble`);
    assert.equal(p.country, want.country, `${p.address} country`);
    assert.ok(p.inside, `${p.address} is drawn outside ${p.country}`);
  }
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('switching language translates the page and is remembered', { skip }, async () => {
  const { ctx, page } = await open(demo, 'en-US');
  await page.goto(demo.base);
  await login(page, demo);
  await page.waitForSelector('[data-testid=total-packets]');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  const en = await page.textContent('[data-testid=page-title]');
  await page.click('[data-testid=lang-switch]');
  await page.waitForFunction(() => document.documentElement.lang === 'ja');
  await page.waitForSelector('[data-testid=total-packets]');
  const ja = await page.textContent('[data-testid=page-title]');
  assert.notEqual(ja, en);
  assert.match(ja, /[\u3040-\u30ff\u4e00-\u9fff]/, 'the Japanese title has Japanese characters');
  await page.screenshot({ path: path.join(shots, 'overview-ja.png'), fullPage: true });
  await page.reload();
  await page.waitForSelector('[data-testid=total-packets]');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ja');
  await ctx.close();
  // A Japanese browser starts in Japanese.
  const jp = await open(demo, 'ja-JP');
  await jp.page.goto(demo.base);
  await jp.page.waitForSelector('form[data-testid=login-form]');
  assert.equal(await jp.page.evaluate(() => document.documentElement.lang), 'ja');
  await jp.ctx.close();
});

test('an ended session sends the user back to the login page', { skip }, async () => {
  const { ctx, page } = await open(demo);
  await page.goto(demo.base);
  await login(page, demo);
  await page.waitForSelector('[data-testid=total-packets]');
  const cookies = await ctx.cookies();
  assert.ok(cookies.some((c) => c.name === 'yamori_session' && c.httpOnly));
  await page.click('[data-testid=logout]');
  await page.waitForSelector('form[data-testid=login-form]');
  // The old cookie no longer works on the server either.
  await ctx.addCookies(cookies);
  assert.equal((await api(page, '/api/v1/overview')).status, 401);
  await page.goto(`${demo.base}#/attacks`);
  await page.waitForSelector('[data-testid=login-expired]');
  assert.match(await page.evaluate(() => location.hash), /next=/);
  await ctx.close();
});

test('bad query parameters get a 400 with a message, shown on the page', { skip }, async () => {
  const { ctx, page } = await open(demo);
  await page.goto(demo.base);
  await login(page, demo);
  await page.waitForSelector('[data-testid=total-packets]');
  const r = await api(page, '/api/v1/overview?from=yesterday');
  assert.equal(r.status, 400);
  assert.match(r.body.error, /`from`/);
  await page.goto(`${demo.base}#/overview?from=yesterday&to=2026-01-01T00:00:00Z`);
  await page.waitForSelector('[data-testid=error]');
  assert.match(await page.textContent('[data-testid=error]'), /from/);
  await ctx.close();
});

test('without a GeoIP database sources are listed without a map position and the page says why', { skip }, async () => {
  const { ctx, page, errors } = await open(nogeo);
  await page.goto(nogeo.base);
  await login(page, nogeo);
  await page.waitForSelector('[data-testid=geo-reason]');
  errors.length = 0; // the login page's refused /me before logging in
  await page.reload();
  await page.waitForSelector('[data-testid=geo-reason]');
  const o = (await api(page, '/api/v1/overview')).body;
  assert.equal(o.map.length, 0);
  assert.ok(o.geo.reason);
  assert.equal(await page.locator('circle.source').count(), 0);
  assert.equal(await page.locator('tr[data-testid=top-source-row]').count(), o.top_sources.length);
  await page.screenshot({ path: path.join(shots, 'overview-nogeo.png'), fullPage: true });
  // Without a survey the survey page says why instead of showing an empty table.
  await visit(page, nogeo, '/survey', '[data-testid=survey-unavailable]');
  assert.deepEqual(errors, []);
  await ctx.close();
});

// Last: it imports a warninglist into the demo's store, which the tests above do not expect.
test('a scanner on an imported list of research scanners is labelled benign, with the list named', { skip }, async () => {
  const { ctx, page, errors } = await open(demo);
  await page.goto(demo.base);
  await login(page, demo);
  await page.waitForSelector('[data-testid=total-packets]');
  errors.length = 0;
  const sources = (await api(page, '/api/v1/sources?scanners=true&limit=50')).body.items;
  const [listed, other] = sources;
  assert.ok(listed && other, 'the demo has two scanners');
  assert.equal(listed.benign_scanner, false);
  const file = path.join(demo.dir, 'research-scanners.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      name: 'Example research scanners',
      version: 1,
      description: 'Address ranges an example research project uses for Internet-wide scanning',
      type: 'cidr',
      list: [`${listed.address}/32`],
      matching_attributes: ['ip-src'],
    }),
  );
  execFileSync(bin, ['--data-dir', demo.dir, '-q', 'warninglist', 'import', file]);
  const detail = (await api(page, `/api/v1/sources/${listed.address}`)).body;
  assert.equal(detail.benign_scanner, true);
  assert.deepEqual(detail.warninglists, ['Example research scanners']);
  const again = (await api(page, '/api/v1/sources?scanners=true&limit=50')).body.items;
  assert.deepEqual(again.filter((x) => x.benign_scanner).map((x) => x.address), [listed.address]);

  await visit(page, demo, `/source/${listed.address}`, '[data-testid=benign-scanner]');
  assert.equal(await page.getAttribute('[data-testid=benign-scanner]', 'title'), 'Example research scanners');
  await page.screenshot({ path: path.join(shots, 'source-benign.png'), fullPage: true });
  await visit(page, demo, '/sources?scanners=true', 'tr[data-testid=source-row]');
  const badged = await page.$$eval('tr[data-testid=source-row]', (trs) =>
    trs.filter((tr) => tr.querySelector('[data-testid=benign-scanner]')).map((tr) => tr.dataset.address),
  );
  assert.deepEqual(badged, [listed.address]);
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('a live sensor\'s minute appears on the open Sensors page and moves the open overview, without a reload', { skip }, async (t) => {
  if (process.getuid?.() !== 0) {
    // Like a missing Chromium: the suite fails, other runs skip and say so in the suite's list.
    const line = 'web/e2e: the live sensor on the dashboard did not run: capturing on lo needs root (CAP_NET_RAW)';
    if (process.env.YAMORI_SKIP_LOG) fs.appendFileSync(process.env.YAMORI_SKIP_LOG, `${line}\n`);
    if (process.env.YAMORI_SUITE === '1') throw new Error(line);
    t.skip(line);
    return;
  }
  const { ctx, page, errors } = await open(demo);
  await page.goto(demo.base);
  await login(page, demo);
  await page.waitForSelector('[data-testid=total-packets]');
  errors.length = 0;
  // A second page on the overview, its range the default (the last 24 hours of stored data,
  // which end with the demo's capture, weeks ago).
  const overview = await ctx.newPage();
  overview.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  await visit(overview, demo, '/overview', '.page-overview [data-testid=live-indicator]');
  const today = new Date().toISOString().slice(0, 10);
  assert.ok(!(await overview.textContent('[data-testid=range-shown]')).includes(today));
  const history = await overview.evaluate(() => window.history.length);
  await visit(page, demo, '/sensors', '.page-sensors [data-testid=live-indicator]');
  assert.equal(await page.$$eval('tr[data-testid=sensor-row]', (rows) => rows.length), 0);
  // A sensor on loopback whose darknet is one loopback address, sent a few datagrams there
  // (nothing leaves the machine); SIGTERM makes it write the minute it is in into the demo's store.
  const sensor = spawn(bin, ['--data-dir', demo.dir, 'sensor', '--interface', 'lo', '--darknet', '127.0.0.2/32', '--sensor-id', 'e2e-live'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((r) => sensor.on('exit', r));
  let log = '';
  sensor.stderr.on('data', (d) => (log += d));
  // Its ring is open once it says "capturing on".
  const started = Date.now();
  while (!log.includes('capturing on')) {
    assert.equal(sensor.exitCode, null, `the sensor exited before capturing:\n${log}`);
    assert.ok(Date.now() - started < 30_000, `the sensor did not start in 30 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const udp = dgram.createSocket('udp4');
  for (let i = 0; i < 5; i++) await new Promise((r) => udp.send(Buffer.from('yamori e2e'), 9, '127.0.0.2', r));
  udp.close();
  await new Promise((r) => setTimeout(r, 500));
  sensor.kill('SIGTERM');
  const code = await exited;
  assert.equal(code, 0, log);
  // The page refreshes itself: the row appears within a refresh or two.
  const row = 'tr[data-testid=sensor-row][data-sensor=e2e-live]';
  await page.waitForSelector(row, { timeout: 30_000 });
  assert.equal(await page.getAttribute(row, 'data-status'), 'live');
  assert.match(await page.textContent('[data-testid=live-indicator]'), /Live: refreshed every 10 s/);
  await page.screenshot({ path: path.join(shots, 'sensors-live.png'), fullPage: true });
  const api_ = (await api(page, '/api/v1/sensors')).body;
  assert.deepEqual(api_.sensors.map((s) => [s.sensor_id, s.last_partial]), [['e2e-live', true]]);
  assert.ok(api_.sensors[0].recent.captured >= 5, JSON.stringify(api_.sensors[0]));
  // The overview follows the data to the sensor's minute (today) within a check or two.
  await overview.waitForFunction(
    (day) => document.querySelector('[data-testid=range-shown]')?.textContent?.includes(day),
    today,
    { timeout: 40_000 },
  );
  await overview.waitForSelector('[data-testid=total-packets]');
  assert.equal(await overview.evaluate(() => window.history.length), history, 'following adds no history entry');
  await overview.screenshot({ path: path.join(shots, 'overview-live.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await ctx.close();
});
