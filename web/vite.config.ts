/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

// The yamori build script sets YAMORI_WEB_OUT so the bundle lands in Cargo's OUT_DIR;
// a plain `npm run build` writes web/dist.
const outDir = process.env.YAMORI_WEB_OUT ? resolve(process.env.YAMORI_WEB_OUT) : 'dist';

/**
 * Dev-only stand-in for the Rust API: serves web/fixtures/*.json under /api/v1 so the
 * dashboard can be developed and looked at without a yamori server. `apply: 'serve'`
 * keeps it (and the fixtures) out of the production build.
 */
function fixtureApi(): Plugin {
  const dir = resolve(import.meta.dirname, 'fixtures');
  const load = (name: string): string => readFileSync(resolve(dir, `${name}.json`), 'utf8');
  const send = (res: ServerResponse, status: number, body?: string, headers: Record<string, string> = {}) => {
    res.statusCode = status;
    if (body !== undefined) res.setHeader('content-type', 'application/json');
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.end(body);
  };
  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((ok) => {
      let s = '';
      req.on('data', (c: Buffer) => (s += c.toString()));
      req.on('end', () => ok(s));
    });
  return {
    name: 'yamori-fixture-api',
    apply: 'serve',
    // Also under `vite preview`, to look at the production bundle with the same fixtures.
    configurePreviewServer(server) {
      server.middlewares.use('/api/v1', handle);
    },
    configureServer(server) {
      server.middlewares.use('/api/v1', handle);
    },
  };
  function handle(req: IncomingMessage, res: ServerResponse): void {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://dev');
      const path = url.pathname;
      const authed = /(?:^|;\s*)yamori_session=dev(?:;|$)/.test(req.headers.cookie ?? '');
      if (path === '/session' && req.method === 'POST') {
        const body = JSON.parse((await readBody(req)) || '{}') as { username?: string; password?: string };
        if (body.username === 'admin' && body.password === 'admin') {
          return send(res, 200, JSON.stringify({ user: 'admin', expires: '2026-11-25T08:00:00Z' }), {
            'set-cookie': 'yamori_session=dev; Path=/; HttpOnly; SameSite=Strict',
          });
        }
        return send(res, 401, JSON.stringify({ error: 'wrong user name or password' }));
      }
      if (path === '/session' && req.method === 'DELETE') {
        return send(res, 204, undefined, { 'set-cookie': 'yamori_session=; Path=/; Max-Age=0' });
      }
      if (!authed) return send(res, 401, JSON.stringify({ error: 'login required' }));
      for (const p of ['from', 'to']) {
        const v = url.searchParams.get(p);
        if (v !== null && Number.isNaN(Date.parse(v))) {
          return send(res, 400, JSON.stringify({ error: `${p}: expected an RFC 3339 time, got "${v}"` }));
        }
      }
      if (path === '/me') return send(res, 200, load('me'));
      if (path === '/overview') {
        // Two special ranges show the other shapes of the answer: no GeoIP, and no data at all.
        const from = url.searchParams.get('from');
        return send(res, 200, load(from === '2026-11-24T07:00:00Z' ? 'overview-nogeo' : from?.startsWith('2020-') ? 'overview-empty' : 'overview'));
      }
      if (path === '/sources') return send(res, 200, load(url.searchParams.get('cursor') ? 'sources-2' : 'sources'));
      if (path.startsWith('/sources/')) {
        const addr = decodeURIComponent(path.slice('/sources/'.length));
        const detail = JSON.parse(load('source-detail')) as { address: string };
        if (addr === detail.address) return send(res, 200, JSON.stringify(detail));
        return send(res, 404, JSON.stringify({ error: `source ${addr} not seen` }));
      }
      if (path === '/attacks') return send(res, 200, load('attacks'));
      if (path === '/survey') return send(res, 200, load(process.env.YAMORI_FIXTURE_SURVEY === 'unavailable' ? 'survey-unavailable' : 'survey'));
      if (path === '/intel') return send(res, 200, load('intel'));
      // A one-hour window shows the decoy's empty state; every other window the same week.
      if (path === '/decoy') return send(res, 200, load(url.searchParams.get('window') === '1' ? 'decoy-empty' : 'decoy'));
      if (path.startsWith('/decoy/sessions/')) {
        const id = path.slice('/decoy/sessions/'.length);
        const session = JSON.parse(load('decoy-session')) as { session: string };
        if (id === session.session) return send(res, 200, JSON.stringify(session));
        return send(res, 404, JSON.stringify({ error: `no decoy records of session ${id}` }));
      }
      return send(res, 404, JSON.stringify({ error: 'no such endpoint' }));
    })();
  }
}

export default defineConfig({
  // Relative asset URLs: the binary serves index.html at / and the bundle under /assets/,
  // and relative URLs keep working if it is ever mounted under a prefix.
  base: './',
  plugins: [fixtureApi()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // Every browser that runs ES2022 supports modulepreload; the polyfill would be dead weight.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
  },
});
