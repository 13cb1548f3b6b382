// The overview's time series: packets per bucket, stacked by category, drawn by uPlot.
// uPlot does not stack by itself; we plot running sums, each filled down to the previous
// one with `bands`, and show the category's own value in the legend.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Category, Series } from './api';
import { getLang, t } from './i18n';
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

/** Draws the chart into `container`; returns a function that resizes it to the container. */
export function renderSeries(container: HTMLElement, series: Series): () => void {
  const lang = getLang();
  const { categories, counts } = nonEmpty(series);
  const stacked = stack(counts);
  const width = () => Math.max(300, container.clientWidth || 900);

  const opts: uPlot.Options = {
    width: width(),
    height: 260,
    // The data and the rest of the dashboard are UTC; uPlot would otherwise use the local zone.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] } },
    axes: [
      // 24-hour UTC labels; uPlot's default would be 12-hour "6:00am".
      { values: (_u, splits, _ai, _space, incr) => splits.map((v) => axisTime(v, incr)) },
      {
        size: 70,
        values: (_u, splits) => splits.map((v) => formatInt(v, lang)),
      },
    ],
    series: [
      { label: 'UTC', value: (_u, v) => (v == null ? '—' : formatTime(v)) },
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
  return () => plot.setSize({ width: width(), height: 260 });
}
