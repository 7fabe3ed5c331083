import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData, Interval } from './usage-data';

/** Distinguishable on white and for the common colour-vision deficiencies (Okabe–Ito, then greys for "other"). */
const COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#b8860b'];
const OTHER_COLOR = '#8a8f98';
const HEIGHT = 320;

const utc = (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');
const dayLabel = uPlot.fmtDate('{MMM} {D}');
const hourLabel = uPlot.fmtDate('{HH}:00');

/** Ticks on whole buckets only (uPlot would otherwise mark hours on a daily chart), labelled in UTC. */
const TICKS: Record<Interval, { incrs: number[]; label: (seconds: number, first: boolean) => string }> = {
  hour: {
    incrs: [1, 2, 3, 6, 12, 24, 48].map((h) => h * 3600),
    label: (s, first) => {
      const d = utc(s);
      return d.getHours() === 0 || first ? `${hourLabel(d)}\n${dayLabel(d)}` : hourLabel(d);
    },
  },
  day: { incrs: [1, 2, 7, 14, 28, 56, 91, 182, 364].map((d) => d * 86_400), label: (s) => dayLabel(utc(s)) },
};

function formatValue(value: number | null | undefined, unit?: 'ms'): string {
  if (value === null || value === undefined) return '—';
  const text = value.toLocaleString(undefined, { maximumFractionDigits: unit ? 1 : 0 });
  return unit ? `${text} ms` : text;
}

/**
 * The usage over time, one line per group (loaded on its own: uPlot stays out of the console's first
 * download). A picture for sighted people: its label says what it shows, and the table under it holds
 * the numbers for everyone.
 */
export default function UsageChart({ data, interval, label, unit }: { data: ChartData; interval: Interval; label: string; unit?: 'ms' }) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const opts: uPlot.Options = {
      width: Math.max(320, element.clientWidth),
      height: HEIGHT,
      tzDate: utc,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      series: [
        {
          label: interval === 'hour' ? 'Hour (UTC)' : 'Day (UTC)',
          value: interval === 'hour' ? '{YYYY}-{MM}-{DD} {HH}:00' : '{YYYY}-{MM}-{DD}',
        },
        ...data.series.map((s, i) => ({
          label: s.label,
          stroke: s.key === undefined ? OTHER_COLOR : COLORS[i % COLORS.length],
          width: 2,
          dash: s.key === undefined ? [6, 4] : undefined,
          points: { show: data.xs.length <= 48 },
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => formatValue(v, unit),
        })),
      ],
      axes: [
        {
          stroke: '#5b6470',
          grid: { stroke: '#eef1f5' },
          incrs: TICKS[interval].incrs,
          values: (_u, splits) => splits.map((s, i) => TICKS[interval].label(s, i === 0)),
        },
        { stroke: '#5b6470', grid: { stroke: '#eef1f5' }, size: 70, values: (_u, splits) => splits.map((v) => formatValue(v, unit)) },
      ],
      legend: { show: true, live: true },
    };
    const plot = new uPlot(opts, [data.xs, ...data.series.map((s) => s.values)] as uPlot.AlignedData, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(320, element.clientWidth), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data, interval, unit]);

  // role=img: the canvas and uPlot's legend are one picture to assistive technology; the table below is the text.
  return <div ref={box} className="usage-chart" role="img" aria-label={label} data-testid="usage-chart" />;
}
