// The overview's world map: a choropleth of packets per country plus one bubble per located
// source, in one zoomable <g> so bubbles and countries always share a coordinate system.

import { geoNaturalEarth1, geoPath, geoGraticule10 } from 'd3-geo';
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type D3ZoomEvent } from 'd3-zoom';
import { scaleLog, scaleSqrt } from 'd3-scale';
import { feature } from 'topojson-client';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import type { Topology, GeometryCollection } from 'topojson-specification';
import type { Kind, MapPoint, Overview } from './api';
import { KINDS } from './api';
import { countryName, numericToAlpha2 } from './i18n/countries';
import { getLang, t } from './i18n';
import { formatInt } from './format';
import { h } from './dom';
import { kindText } from './labels';

type CountryFeature = Feature<Geometry, { name: string }>;

/** Kind colours: tools in warm/strong hues (they are the news), background noise in grey. */
export const KIND_COLOURS: Record<Kind, string> = {
  mirai: '#d62728',
  zmap: '#1f77b4',
  masscan: '#ff7f0e',
  scanner: '#9467bd',
  backscatter: '#e6b800',
  tcp_syn: '#17becf',
  other: '#7f7f7f',
};

const NO_DATA = '#e8ecef';
const LOW = '#fde7c8';
const HIGH = '#b1300b';

let atlas: Promise<CountryFeature[]> | undefined;

/**
 * The 110m world-atlas topology, loaded on first use as its own chunk so that pages without
 * the map do not pay for it. Natural Earth data, public domain.
 */
function loadCountries(): Promise<CountryFeature[]> {
  atlas ??= import('world-atlas/countries-110m.json').then((m) => {
    const topo = (m.default ?? m) as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
    const fc = feature(topo, topo.objects.countries) as FeatureCollection<Geometry, { name: string }>;
    return fc.features;
  });
  return atlas;
}

interface Tip {
  show(ev: MouseEvent, lines: string[]): void;
  hide(): void;
}

function tooltip(container: HTMLElement): Tip {
  const el = h('div', { class: 'map-tip', role: 'status', hidden: true });
  container.append(el);
  return {
    show(ev, lines) {
      el.replaceChildren(...lines.map((l, i) => h(i === 0 ? 'strong' : 'div', {}, l)));
      el.hidden = false;
      const box = container.getBoundingClientRect();
      // Keep the tip inside the map: flip it left of the pointer on the right half.
      const x = ev.clientX - box.left;
      const y = ev.clientY - box.top;
      el.style.left = `${x > box.width / 2 ? x - el.offsetWidth - 12 : x + 12}px`;
      el.style.top = `${Math.max(0, y - el.offsetHeight - 8)}px`;
    },
    hide() {
      el.hidden = true;
    },
  };
}


/** `onCountry` is called with the alpha-2 code when a country with packets is clicked. */
export async function renderMap(container: HTMLElement, data: Overview, onCountry: (iso: string) => void): Promise<void> {
  const features = await loadCountries();
  const lang = getLang();
  const width = Math.max(320, Math.round(container.clientWidth || 960));
  const height = Math.round(width * 0.52);

  const projection = geoNaturalEarth1().fitSize([width, height], { type: 'Sphere' });
  const path = geoPath(projection);

  const byCountry = new Map(data.countries.map((c) => [c.country.toUpperCase(), c]));
  const counted = data.countries.map((c) => c.packets).filter((n) => n > 0);
  const maxPackets = Math.max(1, ...counted);
  const minPackets = Math.min(maxPackets, ...counted);
  // Log scale between the smallest and largest country: a handful of countries usually send
  // most packets, and a linear scale would paint all the others the same pale colour.
  const colour = scaleLog<string>()
    .domain([minPackets, Math.max(minPackets * 2, maxPackets)])
    .range([LOW, HIGH])
    .clamp(true);

  const svg = select(container)
    .append('svg')
    .attr('data-testid', 'world-map')
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('role', 'img')
    .attr('aria-label', t('overview.mapLabel'))
    .attr('class', 'world-map');

  const tip = tooltip(container);
  const layer = svg.append('g').attr('class', 'zoom-layer');

  layer.append('path').datum({ type: 'Sphere' } as const).attr('class', 'sphere').attr('d', path);
  layer.append('path').datum(geoGraticule10()).attr('class', 'graticule').attr('d', path);

  layer
    .selectAll<SVGPathElement, CountryFeature>('path.country')
    .data(features)
    .join('path')
    .attr('class', 'country')
    .attr('d', path)
    .each(function (f) {
      const iso = numericToAlpha2(f.id as string | undefined);
      const c = iso ? byCountry.get(iso) : undefined;
      const el = select(this);
      // Features with no alpha-2 (Kosovo, N. Cyprus, Somaliland in Natural Earth) get no data-iso.
      if (iso) el.attr('data-iso', iso);
      el.attr('fill', c && c.packets > 0 ? colour(c.packets) : NO_DATA);
      if (c) el.attr('data-packets', c.packets);
    })
    .on('mousemove', (ev: MouseEvent, f) => {
      const iso = numericToAlpha2(f.id as string | undefined);
      const c = iso ? byCountry.get(iso) : undefined;
      const name = (iso && countryName(iso, lang)) || f.properties.name;
      tip.show(ev, [
        iso ? `${iso} ${name}` : name,
        t('overview.tooltipPackets', { n: formatInt(c?.packets ?? 0, lang) }),
        t('overview.tooltipSources', { n: formatInt(c?.sources ?? 0, lang) }),
      ]);
    })
    .on('mouseleave', () => tip.hide())
    .on('click', (_ev: MouseEvent, f) => {
      const iso = numericToAlpha2(f.id as string | undefined);
      if (iso && byCountry.has(iso)) onCountry(iso);
    });

  const points = data.map.filter((p) => Number.isFinite(p.latitude) && Number.isFinite(p.longitude));
  const maxPoint = Math.max(1, ...points.map((p) => p.packets));
  const radius = scaleSqrt().domain([0, maxPoint]).range([0, Math.max(10, width / 55)]);
  const baseR = (p: MapPoint) => Math.max(2, radius(p.packets));
  // Biggest first so small bubbles stay on top and clickable.
  points.sort((a, b) => b.packets - a.packets);

  const open = (p: MapPoint) => {
    location.hash = `#/source/${encodeURIComponent(p.address)}`;
  };

  const circles = layer
    .selectAll<SVGCircleElement, MapPoint>('circle.source')
    .data(points)
    .join('circle')
    .attr('class', 'source')
    .attr('data-address', (p) => p.address)
    .attr('data-country', (p) => p.country ?? '')
    .attr('data-kind', (p) => p.kind)
    .attr('data-packets', (p) => p.packets)
    .attr('cx', (p) => projection([p.longitude, p.latitude])?.[0] ?? -9999)
    .attr('cy', (p) => projection([p.longitude, p.latitude])?.[1] ?? -9999)
    .attr('r', baseR)
    .attr('fill', (p) => KIND_COLOURS[p.kind] ?? KIND_COLOURS.other)
    // No tab stops: up to 1,000 bubbles would bury the rest of the page for keyboard users,
    // and every located source is also a link in the tables.
    .on('mousemove', (ev: MouseEvent, p) => {
      tip.show(ev, [
        p.address,
        p.country ? `${p.country} ${countryName(p.country, lang) ?? ''}`.trim() : t('common.unknown'),
        t('overview.tooltipPackets', { n: formatInt(p.packets, lang) }),
        t('overview.tooltipKind', { kind: kindText(p.kind) }),
      ]);
    })
    .on('mouseleave', () => tip.hide())
    .on('click', (_ev: MouseEvent, p) => open(p));

  const z = zoom<SVGSVGElement, unknown>()
    .scaleExtent([1, 12])
    .translateExtent([
      [0, 0],
      [width, height],
    ])
    .on('zoom', (ev: D3ZoomEvent<SVGSVGElement, unknown>) => {
      layer.attr('transform', ev.transform.toString());
      // Bubbles keep their screen size while the map grows, so dense areas separate.
      circles.attr('r', (p) => baseR(p) / Math.sqrt(ev.transform.k));
      tip.hide();
    });
  svg.call(z).call(z.transform, zoomIdentity);
  // A double click is more often an over-eager bubble click than a zoom request.
  svg.on('dblclick.zoom', null);

  // Buttons for people without a scroll wheel or who use the keyboard.
  const button = (text: string, label: string, act: () => void) => {
    const b = h('button', { type: 'button', 'aria-label': label, title: label }, text);
    b.addEventListener('click', act);
    return b;
  };
  container.append(
    h(
      'div',
      { class: 'map-controls' },
      button('+', t('overview.zoomIn'), () => svg.call(z.scaleBy, 1.6)),
      button('−', t('overview.zoomOut'), () => svg.call(z.scaleBy, 1 / 1.6)),
      button('⟲', t('overview.zoomReset'), () => svg.call(z.transform, zoomIdentity)),
    ),
  );
}

/**
 * A colour swatch. Colours are set through the CSSOM, not a style attribute, so the page
 * also works under a Content-Security-Policy without 'unsafe-inline' styles.
 */
function swatch(cls: string, background: string): HTMLElement {
  const el = h('span', { class: `swatch ${cls}` });
  el.style.background = background;
  return el;
}

/** The legend of kinds and the country colour ramp, as HTML (it wraps on small screens). */
export function mapLegend(): HTMLElement {
  return h(
    'div',
    { class: 'legend' },
    h('span', { class: 'legend-title' }, `${t('overview.legend')}:`),
    ...KINDS.map((k) =>
      h('span', { class: 'legend-item', 'data-kind': k }, swatch('round', KIND_COLOURS[k]), t(`kind.${k}`)),
    ),
    h('span', { class: 'legend-item' }, swatch('ramp', `linear-gradient(90deg, ${LOW}, ${HIGH})`), t('overview.countryScale')),
  );
}
