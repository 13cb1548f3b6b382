// Screenshots of every page against a running dev server (`npm run dev`) or yamori serve:
//   node scripts/shot.mjs [base-url] [out-dir]
// Logs console errors and failed requests, which the end-to-end tests treat as failures.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const base = process.argv[2] ?? 'http://127.0.0.1:5173/';
const out = process.argv[3] ?? 'screenshots';
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: process.env.LOCALE ?? 'ja-JP', ignoreHTTPSErrors: true });
const page = await ctx.newPage();
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log(`console.${m.type()}: ${m.text()}`); });
page.on('pageerror', (e) => console.log(`pageerror: ${e.message}`));
page.on('requestfailed', (r) => console.log(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));

await page.goto(base);
await page.waitForSelector('[data-testid=login-form]');
console.log('redirected to', await page.evaluate(() => location.hash));
await page.screenshot({ path: `${out}/login-expired.png` });
await page.fill('input[name=username]', 'admin');
await page.fill('input[name=password]', 'wrong');
await page.click('button[type=submit]');
await page.waitForSelector('[data-testid=login-error]');
await page.fill('input[name=username]', 'admin');
await page.fill('input[name=password]', 'admin');
await page.click('button[type=submit]');
await page.waitForSelector('svg[data-testid=world-map] circle.source');
await page.waitForTimeout(300);
await page.screenshot({ path: `${out}/overview.png`, fullPage: true });
const shots = [
  ['sources', '#/sources'],
  ['sources-2', '#/sources?cursor=c1&page=2'],
  ['source', `#/source/${encodeURIComponent(await page.getAttribute('tr[data-testid=top-source-row]', 'data-address'))}`],
  ['source-404', '#/source/192.0.2.99'],
  ['attacks', '#/attacks'],
  ['survey', '#/survey'],
  ['decoy', '#/decoy'],
  ['decoy-session', '#/decoy/5eed0000aaaa'],
  ['decoy-empty', '#/decoy?window=1'],
  ['intel', '#/intel'],
  ['overview-nogeo', '#/overview?from=2026-11-24T07:00:00Z&to=2026-11-24T08:00:00Z'],
  ['bad-range', '#/overview?from=yesterday'],
];
for (const [name, hash] of shots) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
}
await page.click('[data-testid=lang-switch]');
console.log('lang after switch:', await page.evaluate(() => document.documentElement.lang));
await page.evaluate(() => { location.hash = '#/overview'; });
await page.waitForSelector('svg[data-testid=world-map] circle.source');
await page.selectOption('select[data-testid=range]', '6h');
await page.waitForFunction(() => location.hash.includes('range=6h'));
await page.waitForSelector('svg[data-testid=world-map] circle.source');
console.log('after 6h:', await page.evaluate(() => location.hash));
await page.hover('circle.source');
await page.waitForTimeout(200);
await page.screenshot({ path: `${out}/overview-en.png`, fullPage: false });
await browser.close();
