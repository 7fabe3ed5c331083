import { readFileSync } from 'node:fs';
import type uPlotType from 'uplot';

/**
 * The HTML page the screenshot is taken of: the dashboard's panels on Grafana's 24-column grid
 * (rows of 30 px, 8 px gaps), each time series drawn with uPlot, its legend under it (Grafana's
 * "list" legend), thresholds as Grafana's `dashed+area` style, a right axis where an override puts
 * one. Everything it shows comes from the PageModel (Prometheus' answers); nothing is made up here.
 */

export interface PageSeries {
  name: string;
  right: boolean;
  values: (number | null)[];
}

export interface PagePanel {
  kind: 'row' | 'timeseries';
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  unit: string;
  rightUnit?: string;
  decimals?: number;
  min?: number;
  softMax?: number;
  thresholds?: { value: number; color: string }[];
  thresholdsStyle?: string;
  series: PageSeries[];
  /** Prometheus' error for a target, if any: shown on the panel, as Grafana does. */
  error?: string;
}

export interface PageModel {
  title: string;
  /** Lines under the title: the time range, the variables, where the data comes from. */
  notes: string[];
  /** The alert rules' state in this Prometheus (`name: labels`), shown as Grafana's alert list would. */
  alerts: { name: string; state: string; labels: string }[];
  /** Seconds since the epoch, the query_range grid shared by every series. */
  times: number[];
  panels: PagePanel[];
}

/** The whole page: uPlot and its stylesheet inlined (the browser loads nothing), the model as JSON, the renderer. */
export function dashboardHtml(model: PageModel): string {
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  // `<` escaped: a legend or an error text can never close the script element.
  const data = JSON.stringify(model).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(model.title)}</title>
<style>${uplotCss}</style>
<style>${PAGE_CSS}</style>
</head><body>
<script>${uplotJs}</script>
<script>(${renderDashboard.toString()})(${data});</script>
</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

const PAGE_CSS = `
  * { box-sizing: border-box; }
  body { margin: 0; padding: 16px 16px 24px; background: #111217; color: #ccccdc; font: 14px/1.4 'DejaVu Sans', 'Liberation Sans', sans-serif; }
  header { margin-bottom: 12px; }
  h1 { font-size: 22px; font-weight: 500; margin: 0 0 4px; color: #e6e6f0; }
  .note { color: #9fa7b3; font-size: 13px; }
  .alerts { margin-top: 8px; display: flex; flex-wrap: wrap; gap: 6px 8px; font-size: 13px; }
  .alert { border: 1px solid #34373f; border-radius: 2px; padding: 2px 8px; background: #181b1f; }
  .alert b { font-weight: 600; }
  .alert.pending b { color: #FF9830; }
  .alert.firing b { color: #F2495C; }
  .grid { display: grid; grid-template-columns: repeat(24, 1fr); grid-auto-rows: 30px; gap: 8px; }
  .panel { background: #181b1f; border: 1px solid #2c3235; border-radius: 2px; display: flex; flex-direction: column; min-width: 0; overflow: hidden; }
  .panel h2 { font-size: 14px; font-weight: 500; margin: 0; padding: 6px 8px 2px; color: #e6e6f0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .plot { flex: 1; min-height: 0; position: relative; }
  .empty { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; color: #8e8e9c; font-size: 14px; }
  .error { position: absolute; inset: 8px; color: #F2495C; font-size: 12px; overflow: hidden; }
  .legend { display: flex; flex-wrap: wrap; gap: 0 14px; padding: 2px 8px 6px; font-size: 12px; max-height: 72px; overflow: hidden; }
  .legend span { white-space: nowrap; display: inline-flex; align-items: center; gap: 5px; }
  .legend i { display: inline-block; width: 14px; height: 3px; border-radius: 1px; }
  .row { display: flex; align-items: flex-end; font-size: 15px; font-weight: 500; color: #e6e6f0; padding: 0 2px 2px; border-bottom: 1px solid #2c3235; }
`;

/**
 * Runs in the page (serialized with toString): builds the grid, then draws each panel once the
 * grid has sized it. Self-contained: no imports, no helpers from outside its body.
 */
function renderDashboard(model: PageModel): void {
  const uPlot = (window as unknown as { uPlot: typeof uPlotType }).uPlot;
  // Grafana's classic palette, in its order.
  const palette = [
    '#7EB26D',
    '#EAB839',
    '#6ED0E0',
    '#EF843C',
    '#E24D42',
    '#1F78C1',
    '#BA43A9',
    '#705DA0',
    '#508642',
    '#CCA300',
    '#447EBC',
    '#C15C17',
    '#890F02',
    '#0A437C',
    '#6D1F62',
    '#584477',
  ];
  const named: Record<string, string> = { green: '#73BF69', orange: '#FF9830', red: '#F2495C', yellow: '#FADE2A', blue: '#5794F2' };
  const colorOf = (c: string) => named[c] ?? c;

  const el = (tag: string, cls?: string, text?: string) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const trim = (n: number, decimals?: number) => {
    if (decimals !== undefined) return n.toFixed(decimals);
    const abs = Math.abs(n);
    const d = abs === 0 ? 0 : abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
    return String(Number(n.toFixed(d)));
  };
  const scaled = (n: number, base: number, suffixes: string[], decimals?: number) => {
    let i = 0;
    while (Math.abs(n) >= base && i < suffixes.length - 1) {
      n /= base;
      i++;
    }
    return `${trim(n, decimals)}${suffixes[i]}`;
  };
  /** Grafana's unit formats (the ones the dashboard uses). */
  const format = (unit: string, v: number, decimals?: number): string => {
    switch (unit) {
      case 'percentunit':
        return `${trim(v * 100, decimals)}%`;
      case 's': {
        const abs = Math.abs(v);
        if (abs === 0) return '0 s';
        if (abs < 1e-3) return `${trim(v * 1e6, decimals)} µs`;
        if (abs < 1) return `${trim(v * 1e3, decimals)} ms`;
        return `${trim(v, decimals)} s`;
      }
      case 'bytes':
        return scaled(v, 1024, [' B', ' KiB', ' MiB', ' GiB', ' TiB'], decimals);
      case 'reqps':
        return `${scaled(v, 1000, ['', 'K', 'M'], decimals)} req/s`;
      case 'short':
        return scaled(v, 1000, ['', ' K', ' Mil', ' Bil'], decimals);
      default:
        return trim(v, decimals);
    }
  };

  const header = el('header');
  header.append(el('h1', undefined, model.title));
  for (const note of model.notes) header.append(el('div', 'note', note));
  if (model.alerts.length) {
    const list = el('div', 'alerts');
    for (const a of model.alerts) {
      const item = el('span', `alert ${a.state}`);
      item.append(el('b', undefined, `${a.name} ${a.state}`), document.createTextNode(a.labels ? `  ${a.labels}` : ''));
      list.append(item);
    }
    header.append(list);
  }
  document.body.append(header);

  const grid = el('div', 'grid');
  document.body.append(grid);
  const pending: { panel: PagePanel; plot: HTMLElement }[] = [];
  for (const panel of model.panels) {
    const box = el('div', panel.kind === 'row' ? 'row' : 'panel');
    box.style.gridColumn = `${panel.gridPos.x + 1} / span ${panel.gridPos.w}`;
    box.style.gridRow = `${panel.gridPos.y + 1} / span ${panel.gridPos.h}`;
    grid.append(box);
    if (panel.kind === 'row') {
      box.textContent = panel.title;
      continue;
    }
    box.append(el('h2', undefined, panel.title));
    const plot = el('div', 'plot');
    box.append(plot);
    const legend = el('div', 'legend');
    // Colours in the series' order; the legend by their peak, highest first (Grafana's legend "sort by Max"),
    // so when it has to leave entries out (below) they are the flat ones.
    const peak = (values: (number | null)[]) => Math.max(-Infinity, ...values.filter((v): v is number => v !== null));
    panel.series
      .map((s, i) => ({ s, i, peak: peak(s.values) }))
      .sort((a, b) => b.peak - a.peak || a.i - b.i)
      .forEach(({ s, i }) => {
        const item = el('span');
        const swatch = el('i');
        swatch.style.background = palette[i % palette.length];
        item.append(swatch, document.createTextNode(s.name + (panel.rightUnit && s.right ? ' (right axis)' : '')));
        legend.append(item);
      });
    if (panel.series.length) box.append(legend);
    pending.push({ panel, plot });
  }

  // A legend longer than its room (Grafana would scroll it): as many entries as fit, then how many are left out.
  for (const legend of Array.from(document.querySelectorAll<HTMLElement>('.legend'))) {
    if (legend.scrollHeight <= legend.clientHeight + 1) continue;
    const more = el('span');
    legend.append(more);
    let hidden = 0;
    while (legend.scrollHeight > legend.clientHeight + 1 && legend.children.length > 1) {
      legend.children[legend.children.length - 2].remove();
      more.textContent = `+${++hidden} more`;
    }
  }

  for (const { panel, plot } of pending) {
    const hasData = panel.series.some((s) => s.values.some((v) => v !== null));
    if (panel.error) {
      plot.append(el('div', 'error', panel.error));
      continue;
    }
    if (!hasData) {
      plot.append(el('div', 'empty', 'No data'));
      continue;
    }
    const values = (right: boolean) =>
      panel.series.filter((s) => s.right === right).flatMap((s) => s.values.filter((v): v is number => v !== null));
    const range =
      (right: boolean) =>
      (_u: uPlotType, dataMin: number, dataMax: number): [number, number] => {
        const vs = values(right);
        let lo = vs.length ? Math.min(dataMin, ...vs) : dataMin;
        let hi = vs.length ? Math.max(dataMax, ...vs) : dataMax;
        // Rates, ratios, sizes and PSI are never negative: the axis starts at 0 like Grafana's does for them.
        lo = Math.min(lo, panel.min ?? 0);
        if (!right && panel.softMax !== undefined) hi = Math.max(hi, panel.softMax);
        if (hi <= lo) hi = lo + 1;
        return uPlot.rangeNum(lo, hi, 0.1, true) as [number, number];
      };
    const axisStyle = {
      stroke: '#9fa7b3',
      font: "12px 'DejaVu Sans', sans-serif",
      grid: { stroke: 'rgba(204, 204, 220, 0.09)', width: 1 },
      ticks: { stroke: 'rgba(204, 204, 220, 0.15)', width: 1, size: 4 },
    };
    const right = Boolean(panel.rightUnit) && panel.series.some((s) => s.right);
    // Byte axes step by powers of two (1 MiB, 256 MiB…), as Grafana's do; the others by uPlot's 1-2-5 steps.
    const incrs = (unit: string) =>
      unit === 'bytes' ? [0, 1, 2, 3, 4].flatMap((k) => [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((m) => m * 1024 ** k)) : undefined;
    const clock = (seconds: number, withSeconds: boolean) => new Date(seconds * 1000).toISOString().slice(11, withSeconds ? 19 : 16);
    const opts: uPlotType.Options = {
      width: plot.clientWidth,
      height: plot.clientHeight,
      legend: { show: false },
      cursor: { show: false },
      padding: [8, 8, 0, 0],
      scales: { x: { time: true }, y: { range: range(false) }, ...(right ? { y2: { range: range(true) } } : {}) },
      axes: [
        {
          ...axisStyle,
          space: 80,
          values: (_u, splits) =>
            splits.map((t) =>
              clock(
                t,
                splits.some((x) => x % 60 !== 0),
              ),
            ),
        },
        {
          ...axisStyle,
          scale: 'y',
          size: 64,
          incrs: incrs(panel.unit),
          values: (_u, splits) => splits.map((v) => format(panel.unit, v, panel.decimals)),
        },
        ...(right
          ? [
              {
                ...axisStyle,
                scale: 'y2',
                side: 1,
                size: 64,
                incrs: incrs(panel.rightUnit!),
                grid: { show: false },
                values: (_u: uPlotType, splits: number[]) => splits.map((v) => format(panel.rightUnit!, v)),
              },
            ]
          : []),
      ],
      series: [
        {},
        ...panel.series.map((s, i) => ({
          label: s.name,
          scale: s.right && right ? 'y2' : 'y',
          stroke: palette[i % palette.length],
          width: 1.5,
          points: { size: 4 },
        })),
      ],
      hooks: {
        // Grafana's dashed+area thresholds: under the series, a faint band from each step up to the next, a dashed line at each.
        drawAxes: [
          (u: uPlotType) => {
            const steps = panel.thresholds ?? [];
            if (!steps.length || !panel.thresholdsStyle || panel.thresholdsStyle === 'off') return;
            const ctx = u.ctx;
            const { left, top, width, height } = u.bbox;
            ctx.save();
            ctx.beginPath();
            ctx.rect(left, top, width, height);
            ctx.clip();
            steps.forEach((step, i) => {
              const color = colorOf(step.color);
              if (color === 'transparent') return;
              const y = u.valToPos(step.value, 'y', true);
              const next = i + 1 < steps.length ? u.valToPos(steps[i + 1].value, 'y', true) : top;
              if (panel.thresholdsStyle!.includes('area')) {
                ctx.globalAlpha = 0.1;
                ctx.fillStyle = color;
                ctx.fillRect(left, Math.min(next, y), width, Math.abs(y - next));
              }
              if (panel.thresholdsStyle!.includes('line') || panel.thresholdsStyle!.includes('dashed')) {
                ctx.globalAlpha = 0.9;
                ctx.strokeStyle = color;
                ctx.lineWidth = 1.5 * devicePixelRatio;
                ctx.setLineDash(panel.thresholdsStyle!.includes('dashed') ? [8 * devicePixelRatio, 6 * devicePixelRatio] : []);
                ctx.beginPath();
                ctx.moveTo(left, y);
                ctx.lineTo(left + width, y);
                ctx.stroke();
              }
            });
            ctx.restore();
          },
        ],
      },
    };
    new uPlot(opts, [model.times, ...panel.series.map((s) => s.values)] as uPlotType.AlignedData, plot);
  }
  (window as unknown as { rendered: boolean }).rendered = true;
}
