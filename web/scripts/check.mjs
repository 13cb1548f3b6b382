// A quick interaction check of the built dashboard against the fixture API (`npm run build &&
// npx vite preview`), the way the end-to-end tests drive it. Not a replacement for them:
//   node scripts/check.mjs [base-url]
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const base = process.argv[2] ?? 'http://127.0.0.1:4173/';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
async function newPage(locale) {
  const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    // Failed API answers the check provokes on purpose (401 before login, wrong password, 404, 400).
    if (m.type() === 'error' && !/status of (401|404|400)/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return page;
}
const login = async (page) => {
  await page.fill('form[data-testid=login-form] input[name=username]', 'admin');
  await page.fill('form[data-testid=login-form] input[name=password]', 'admin');
  await page.click('form[data-testid=login-form] button[type=submit]');
};

// English browser, redirected to login, back to the page it came from.
let page = await newPage('en-US');
await page.goto(`${base}#/sources?country=JP`);
await page.waitForSelector('[data-testid=login-expired]');
assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
assert.match(await page.evaluate(() => location.hash), /next=%2Fsources%3Fcountry%3DJP/);
await page.fill('input[name=username]', 'admin');
await page.fill('input[name=password]', 'nope');
await page.click('button[type=submit]');
await page.waitForSelector('[data-testid=login-error]');
await login(page);
await page.waitForSelector('tr[data-testid=source-row]');
assert.equal(await page.evaluate(() => location.hash), '#/sources?country=JP');
assert.equal(await page.textContent('[data-testid=user]'), 'admin');
assert.equal(await page.textContent('[data-testid=page-title]'), 'Sources');
const firstPackets = await page.getAttribute('tr[data-testid=source-row] td[data-field=packets]', 'data-value');
assert.ok(Number(firstPackets) > 0);
await page.click('[data-testid=next-page]');
await page.waitForFunction(() => location.hash.includes('cursor=c1'));
await page.waitForSelector('tr[data-testid=source-row]');
assert.equal(await page.$('[data-testid=next-page]'), null);

// Overview: totals, map, bubbles in the countries' <g>, click-through.
await page.click('[data-testid=nav-overview]');
await page.waitForSelector('svg[data-testid=world-map] circle.source');
for (const id of ['total-packets', 'total-sources', 'total-scanners', 'total-attacks', 'scanners-mirai', 'scanners-zmap', 'scanners-masscan', 'scanners-unknown']) {
  const v = await page.getAttribute(`[data-testid=${id}]`, 'data-value');
  assert.ok(v !== null && Number.isFinite(Number(v)), id);
}
assert.ok(await page.$('path.country[data-iso="JP"]'));
const sameParent = await page.evaluate(() => document.querySelector('circle.source').parentNode === document.querySelector('path.country').parentNode);
assert.ok(sameParent, 'bubbles and countries share a <g>');
const inside = await page.evaluate(() => {
  const c = document.querySelector('circle.source[data-country="JP"]');
  const p = document.querySelector('path.country[data-iso="JP"]');
  const b = p.getBBox();
  const x = +c.getAttribute('cx'), y = +c.getAttribute('cy');
  return x >= b.x - 20 && x <= b.x + b.width + 20 && y >= b.y - 20 && y <= b.y + b.height + 20;
});
assert.ok(inside, 'a JP bubble lies on Japan');
assert.ok(await page.$('[data-testid=timeseries] .uplot'));
assert.equal(await page.$('[data-testid=geo-reason]'), null);
assert.equal(await page.textContent('[data-testid=geo-attribution]'), 'IP Geolocation by DB-IP');
assert.ok(await page.$('tr[data-testid=tcp-port-row][data-port="23"] td[data-field=packets][data-value]'));
assert.ok(await page.$('tr[data-testid=udp-port-row] td[data-field=packets][data-value]'));
await page.mouse.move(640, 500);
await page.mouse.wheel(0, -400);
await page.waitForTimeout(300);
assert.match((await page.getAttribute('svg[data-testid=world-map] > g', 'transform')) ?? '', /scale/);
const addr = await page.getAttribute('tr[data-testid=top-source-row]', 'data-address');
await page.evaluate(() => document.querySelector('svg[data-testid=world-map] > g').setAttribute('transform', ''));
await page.dispatchEvent(`circle.source[data-address="${addr}"]`, 'click');
await page.waitForSelector('[data-testid=source-packets]');
assert.equal(await page.textContent('[data-testid=source-address]'), addr);
assert.match(await page.textContent('[data-testid=source-country]'), /^[A-Z]{2} /);
assert.ok((await page.$$('[data-testid=indicator-row]')).length > 0);
assert.ok((await page.$$('[data-testid=sighting-row]')).length > 0);
await page.evaluate(() => { location.hash = '#/source/192.0.2.250'; });
await page.waitForSelector('[data-testid=not-found]');

// Range presets and the language switch (remembered across reloads).
await page.click('[data-testid=nav-overview]');
await page.waitForSelector('svg[data-testid=world-map]');
await page.selectOption('select[data-testid=range]', '1h');
await page.waitForFunction(() => location.hash.includes('range=1h'));
assert.match(await page.evaluate(() => location.hash), /from=2026-11-24T07%3A00%3A00Z&to=2026-11-24T08%3A00%3A00Z/);
await page.selectOption('select[data-testid=range]', 'all');
await page.waitForFunction(() => location.hash.includes('range=all'));
assert.match(await page.evaluate(() => location.hash), /from=2026-11-24T06%3A00%3A00Z/);
await page.click('[data-testid=lang-switch]');
assert.equal(await page.evaluate(() => document.documentElement.lang), 'ja');
assert.equal(await page.textContent('[data-testid=page-title]'), '概要');
await page.reload();
await page.waitForSelector('svg[data-testid=world-map]');
assert.equal(await page.evaluate(() => document.documentElement.lang), 'ja');
await page.click('[data-testid=nav-attacks]');
await page.waitForSelector('tr[data-testid=attack-row][data-victim] td[data-field=packets][data-value]');
assert.match(await page.evaluate(() => location.hash), /range=all/);
await page.click('[data-testid=nav-survey]');
await page.waitForSelector('[data-testid=device-row]');
await page.click('[data-testid=nav-intel]');
await page.waitForSelector('[data-testid=collection-row][data-id]');
for (const r of ['indicator-row', 'sighting-row', 'peer-row']) assert.ok((await page.$$(`[data-testid=${r}]`)).length > 0, r);
// Decoy: totals, tables, hostile text shown as text, a transcript and back, the empty state.
await page.click('[data-testid=nav-decoy]');
await page.waitForSelector('tr[data-testid=decoy-session-row]');
assert.ok(Number(await page.getAttribute('[data-testid=decoy-total-sessions]', 'data-value')) > 0);
assert.equal(await page.$('select[data-testid=range]'), null, 'the decoy has its own window, not the period');
assert.ok(await page.$('[data-testid=decoy-timeseries] .uplot'));
assert.equal(await page.$('main script, main img, [data-testid=decoy-urls-table] a'), null);
assert.match(await page.textContent('[data-testid=decoy-commands-table]'), /<script>alert\(1\)<\/script>\\x1b\[31m/);
await page.click('tr[data-testid=decoy-session-row][data-session="5eed0000aaaa"] td[data-field=session] a');
await page.waitForSelector('tr[data-testid=decoy-event-row][data-eventid="cowrie.login.success"]');
assert.match(await page.textContent('tr[data-testid=decoy-event-row][data-eventid="cowrie.login.success"]'), /root\/xc3511/);
await page.click('[data-testid=decoy-back]');
await page.selectOption('select[data-testid=decoy-window]', '24');
await page.waitForFunction(() => location.hash.includes('window=24'));
await page.evaluate(() => { location.hash = '#/decoy?window=1'; });
await page.waitForSelector('[data-testid=decoy-empty]');
await page.evaluate(() => { location.hash = '#/decoy/0123456789ab'; });
await page.waitForSelector('[data-testid=not-found]');
await page.evaluate(() => { location.hash = '#/overview?from=nonsense'; });
await page.waitForSelector('[data-testid=error]');
assert.match(await page.textContent('[data-testid=error]'), /from: expected an RFC 3339 time/);
await page.click('[data-testid=logout]');
await page.waitForSelector('[data-testid=login-form]');
await page.click('[data-testid=nav-overview]');
await page.waitForSelector('[data-testid=login-expired]');

// Japanese browser defaults to Japanese.
page = await newPage('ja-JP');
await page.goto(base);
await page.waitForSelector('[data-testid=login-form]');
assert.equal(await page.evaluate(() => document.documentElement.lang), 'ja');
assert.equal(await page.textContent('[data-testid=page-title]'), 'ログイン');

await browser.close();
if (problems.length) {
  console.log(problems.join('\n'));
  process.exit(1);
}
console.log('check: all good');
