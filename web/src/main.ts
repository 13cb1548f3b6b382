// Entry point: language, header, hash routing and the session's 401 handling.

import './style.css';
import { api, AuthRedirect, isAbort, setUnauthorizedHandler, type Range } from './api';
import { getLang, initialLang, setLang, t } from './i18n';
import { currentRouteText, formatRoute, parseRoute, routeParam, type PageName, type Route } from './router';
import { computeRange, rangeFromQuery, rangeToQuery, type Preset, type RangeState } from './range';
import { renderHeader } from './header';
import { errorBox, h, pageTitle } from './dom';
import { toDatetimeLocal } from './format';
import type { PageContext } from './page';
import { renderSources } from './pages/sources';
import { renderSource } from './pages/source';
import { renderAttacks } from './pages/attacks';
import { renderSurvey } from './pages/survey';
import { renderDecoySession } from './pages/decoy-session';
import { renderIntel } from './pages/intel';
import { renderSensors } from './pages/sensors';
import { renderLogin } from './pages/login';

const pages: Record<PageName, (ctx: PageContext) => Promise<void>> = {
  // The overview carries d3 and uPlot; loading it on demand keeps the login page light.
  overview: (ctx) => import('./pages/overview').then((m) => m.renderOverview(ctx)),
  sources: renderSources,
  source: renderSource,
  attacks: renderAttacks,
  survey: renderSurvey,
  // Its chart carries uPlot, like the overview.
  decoy: (ctx) => import('./pages/decoy').then((m) => m.renderDecoy(ctx)),
  'decoy-session': renderDecoySession,
  intel: renderIntel,
  sensors: renderSensors,
  login: renderLogin,
};

const headerSlot = document.getElementById('header') as HTMLElement;
const main = document.getElementById('main') as HTMLElement;

let user: string | undefined;
let dataBounds: Pick<Range, 'data_from' | 'data_to'> | undefined;
let controller: AbortController | undefined;

/** Pages that read the range restart at their first page when it changes: a cursor belongs to one range. */
function navigateWithRange(route: Route, range: RangeState): void {
  const { cursor: _cursor, page: _page, range: _r, from: _f, to: _t, ...keep } = route.query;
  const page = route.page === 'notfound' ? 'overview' : route.page;
  location.hash = formatRoute(page, { ...keep, ...rangeToQuery(range) }, routeParam(route));
}

/** The presets count back from the data's end; fetch it once if no overview has told us yet. */
async function bounds(signal: AbortSignal): Promise<Pick<Range, 'data_from' | 'data_to'>> {
  if (!dataBounds) {
    const o = await api.overview({}, 1, signal);
    dataBounds = o.range;
  }
  return dataBounds;
}

function showGlobalError(e: unknown): void {
  if (isAbort(e) || e instanceof AuthRedirect) return;
  main.querySelector('[data-testid=error]')?.remove();
  const box = errorBox(e);
  const title = main.querySelector('h1');
  if (title) title.after(box);
  else main.prepend(box);
}

function renderChrome(route: Route, range: RangeState): void {
  headerSlot.replaceChildren(
    renderHeader(route, range, user, {
      onPreset: (p: Preset) => {
        const signal = controller?.signal ?? new AbortController().signal;
        bounds(signal)
          .then((b) => navigateWithRange(route, { preset: p, ...computeRange(p, b.data_from, b.data_to) }))
          .catch(showGlobalError);
      },
      onCustom: (from, to) => navigateWithRange(route, { preset: 'custom', from, to }),
      onToggleLang: () => {
        setLang(getLang() === 'ja' ? 'en' : 'ja');
        render();
      },
      onLogout: () => {
        api
          .logout()
          .catch(() => undefined) // Logging out of a dead session is still logging out.
          .finally(() => {
            user = undefined;
            location.hash = '#/login';
          });
      },
    }),
  );
}

function loadUser(route: Route): void {
  if (user !== undefined || route.page === 'login') return;
  api
    .me()
    .then((me) => {
      user = me.user;
      const el = headerSlot.querySelector('[data-testid=user]');
      if (el) {
        el.textContent = me.user;
        el.setAttribute('title', t('header.user', { user: me.user }));
      }
    })
    .catch(showGlobalError);
}

function render(moveFocus = false): void {
  controller?.abort();
  controller = new AbortController();
  const route = parseRoute(location.hash);
  const range = rangeFromQuery(route.query);
  document.title = `${t('app.name')}`;
  renderChrome(route, range);
  loadUser(route);

  const root = h('div', { class: `page page-${route.page}` });
  main.replaceChildren(root);
  if (route.page === 'notfound') {
    root.append(pageTitle(t('notFound.title')), h('p', {}, h('a', { href: '#/overview' }, t('nav.overview'))));
    return;
  }
  const ctx: PageContext = {
    root,
    route,
    range,
    signal: controller.signal,
    noteDataBounds: (r) => {
      dataBounds = { data_from: r.data_from, data_to: r.data_to };
      // Without from/to in the URL the server chose the range; show it in the custom inputs.
      for (const [id, v] of [['range-from', r.from], ['range-to', r.to]] as const) {
        const input = document.getElementById(id) as HTMLInputElement | null;
        if (input && !input.value) input.value = toDatetimeLocal(v);
      }
    },
    loggedIn: (u) => {
      user = u;
    },
    replaceRoute: (hash) => {
      history.replaceState(null, '', hash);
      render(false);
    },
  };
  // After a navigation, screen readers and keyboards start at the new content.
  if (moveFocus) main.focus({ preventScroll: true });
  pages[route.page](ctx).catch(showGlobalError);
}

setUnauthorizedHandler(() => {
  user = undefined;
  const route = parseRoute(location.hash);
  if (route.page === 'login') return;
  location.hash = formatRoute('login', { next: currentRouteText(), expired: '1' });
});

setLang(initialLang(), false);
window.addEventListener('hashchange', () => render(true));
render();
