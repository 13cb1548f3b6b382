// Time series drawn by uPlot: the overview's packets per bucket, stacked by category, and
// the decoy's counts as lines. uPlot does not stack by itself; we plot running sums, each
// filled down to the previous one with `bands`, and show the category's own value in the legend.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Category, Series } from './api';
import { getLang, t, type Lang } from './i18n';
import { formatInt, formatTime } from './format';

export const CATEGORY_COLOURS: Record<Category, string> = {
  tcp_syn: '#1f77b4',
  tcp_synack: '#aec7e8',
  tcp_ack: '#2ca02c',
  tcp_fin: '#98df8a',
  tcp_rst: '#d62728',
  tcp_push: '#ff9896',
  tcp_other: '#9467bd',
  udp: '#ff7f0e',
  icmp: '#8c564b',
  other: '#7f7f7f',
};

/** Running sums per bucket: stacked[i][j] = sum of counts[0..=i][j]. */
export function stack(counts: number[][]): number[][] {
  const out: number[][] = [];
  let prev: number[] | undefined;
  for (const row of counts) {
    const acc = row.map((v, j) => (v ?? 0) + (prev?.[j] ?? 0));
    out.push(acc);
    prev = acc;
  }
  return out;
}

/** Categories with no packets in the range only clutter the legend. */
export function nonEmpty(series: Series): { categories: Category[]; counts: number[][] } {
  const categories: Category[] = [];
  const counts: number[][] = [];
  series.categories.forEach((c, i) => {
    const row = series.counts[i] ?? [];
    if (row.some((v) => v > 0)) {
      categories.push(c);
      counts.push(row);
    }
  });
  return { categories, counts };
}

/** Tick label: the time of day, with the date when ticks are a day or more apart. */
export function axisTime(unixSecs: number, incrSecs: number): string {
  const iso = new Date(unixSecs * 1000).toISOString();
  return incrSecs >= 86400 ? iso.slice(5, 10) : incrSecs >= 3600 * 6 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

const HEIGHT = 260;

/** What every chart shares: size, UTC times, a live legend and drag to zoom in on a stretch. */
function timeOptions(width: number): Pick<uPlot.Options, 'width' | 'height' | 'tzDate' | 'legend' | 'cursor'> {
  return {
    width,
    height: HEIGHT,
    // The data and the rest of the dashboard are UTC; uPlot would otherwise use the local zone.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
}

/** Counts start at zero, with a little room above the highest. */
const fromZero: uPlot.Range.Function = (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1];

// 24-hour UTC labels; uPlot's default would be 12-hour "6:00am".
const timeAxis: uPlot.Axis = { values: (_u, splits, _ai, _space, incr) => splits.map((v) => axisTime(v, incr)) };

const timeSeries: uPlot.Series = { label: 'UTC', value: (_u, v) => (v == null ? '—' : formatTime(v)) };

function countAxis(lang: Lang, extra: uPlot.Axis = {}): uPlot.Axis {
  return { size: 70, values: (_u, splits) => splits.map((v) => formatInt(v, lang)), ...extra };
}

/** Draws the chart into `container`; returns a function that resizes it to the container. */
export function renderSeries(container: HTMLElement, series: Series): () => void {
  const lang = getLang();
  const { categories, counts } = nonEmpty(series);
  const stacked = stack(counts);
  const width = () => Math.max(300, container.clientWidth || 900);

  const opts: uPlot.Options = {
    ...timeOptions(width()),
    scales: { x: { time: true }, y: { range: fromZero } },
    axes: [timeAxis, countAxis(lang)],
    series: [
      timeSeries,
      ...categories.map((c, i) => ({
        label: t(`category.${c}`),
        stroke: CATEGORY_COLOURS[c] ?? '#555',
        fill: `${CATEGORY_COLOURS[c] ?? '#555555'}99`,
        width: 1,
        points: { show: false },
        // The plotted value is a running sum; the legend shows this category's own count.
        value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) =>
          idx == null ? '—' : formatInt(counts[i]?.[idx] ?? 0, lang),
      })),
    ],
    // Fill each category down to the one below it instead of down to zero.
    bands: categories.slice(1).map((_c, i) => ({ series: [i + 2, i + 1] as [number, number] })),
  };

  const data = [series.t, ...stacked] as uPlot.AlignedData;
  const plot = new uPlot(opts, data, container);
  return () => plot.setSize({ width: width(), height: HEIGHT });
}

/** Tick steps of 1, 2, 5, 10, 20, 50 … (uPlot would otherwise tick 0.5 for a count of 3). */
const WHOLE_STEPS = Array.from({ length: 10 }, (_v, i) => [1, 2, 5].map((m) => m * 10 ** i)).flat();

/** One line of renderLines; `right` puts it on a second axis at the right. */
export interface Line {
  label: string;
  colour: string;
  values: number[];
  right?: boolean;
}

/**
 * Draws `lines` over the times `t` (Unix seconds) into `container`; returns a function that
 * resizes it to the container. Counts of different sizes (a bot types tens of commands per
 * session) go on two axes, so the small ones are not flattened against the bottom.
 */
export function renderLines(container: HTMLElement, t: number[], lines: Line[]): () => void {
  const lang = getLang();
  const width = () => Math.max(300, container.clientWidth || 900);
  const label = (right: boolean) => lines.filter((l) => Boolean(l.right) === right).map((l) => l.label).join(', ');
  // Room for "11-24 08:00" under each tick, and whole numbers only: these are counts of a few.
  const axes = [{ ...timeAxis, space: 90 }, countAxis(lang, { label: label(false), incrs: WHOLE_STEPS })];
  if (lines.some((l) => l.right)) axes.push(countAxis(lang, { scale: 'right', side: 1, label: label(true), incrs: WHOLE_STEPS, grid: { show: false } }));
  const opts: uPlot.Options = {
    ...timeOptions(width()),
    scales: { x: { time: true }, y: { range: fromZero }, right: { range: fromZero } },
    axes,
    series: [
      timeSeries,
      ...lines.map((l) => ({
        label: l.label,
        stroke: l.colour,
        width: 2,
        scale: l.right ? 'right' : 'y',
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v == null ? '—' : formatInt(v, lang)),
      })),
    ],
  };
  const plot = new uPlot(opts, [t, ...lines.map((l) => l.values)] as uPlot.AlignedData, container);
  return () => plot.setSize({ width: width(), height: HEIGHT });
}
