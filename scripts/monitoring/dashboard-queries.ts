import { readFileSync } from 'node:fs';

/**
 * What Grafana does with deploy/monitoring/grafana-dashboard.json before and after it asks
 * Prometheus, done the same way for the screenshot script: the panels in order (a collapsed row's
 * own included), each target's PromQL with the variables replaced, the query_range step and
 * `$__rate_interval` Grafana would choose, and each returned series named by its legendFormat.
 */

export interface DashboardTarget {
  refId: string;
  expr: string;
  legendFormat?: string;
}

export interface FieldOverride {
  matcher: { id: string; options: string };
  properties: { id: string; value: unknown }[];
}

export interface FieldDefaults {
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  custom?: { axisSoftMin?: number; axisSoftMax?: number; thresholdsStyle?: { mode: string } };
  thresholds?: { mode: string; steps: { color: string; value: number | null }[] };
}

export interface DashboardPanel {
  id?: number;
  title: string;
  description?: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: FieldDefaults; overrides?: FieldOverride[] };
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
}

export interface DashboardVariable {
  name: string;
  label?: string;
  type: string;
  query?: string;
  includeAll?: boolean;
  allValue?: string;
}

export interface Dashboard {
  title: string;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
}

export function readDashboard(path: string): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** The panels as Grafana lays them out: rows stay (as headers), a collapsed row's panels follow it. */
export function layoutPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((p) => (p.type === 'row' ? [p, ...(p.panels ?? [])] : [p]));
}

/**
 * Grafana's interval for a range query: the range over the panel's data points, never below the
 * data source's scrape interval (its "min interval"); `$__rate_interval` is then
 * max($__interval + scrape interval, 4 × scrape interval), so a rate always spans enough samples.
 */
export function intervals(rangeSeconds: number, scrapeSeconds: number, maxDataPoints: number): { step: number; rateInterval: number } {
  const step = Math.max(scrapeSeconds, Math.ceil(rangeSeconds / maxDataPoints));
  return { step, rateInterval: Math.max(step + scrapeSeconds, 4 * scrapeSeconds) };
}

/** A target's PromQL as Prometheus gets it: interval variables in seconds, template variables at their "All" value. */
export function substitute(
  expr: string,
  variables: DashboardVariable[],
  times: { step: number; rateInterval: number; range: number },
): string {
  const all = new Map(variables.filter((v) => v.type !== 'datasource').map((v) => [v.name, v.allValue ?? '.*']));
  return expr
    .replace(/\$__rate_interval\b/g, `${times.rateInterval}s`)
    .replace(/\$__interval\b/g, `${times.step}s`)
    .replace(/\$__range\b/g, `${times.range}s`)
    .replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
      const value = all.get((braced ?? bare)!);
      if (value === undefined) throw new Error(`the dashboard does not define the variable in ${whole} (${expr})`);
      return value;
    });
}

/** A series' name: its legendFormat with `{{label}}` filled in, else its labels as Grafana prints them. */
export function legendName(legendFormat: string | undefined, metric: Record<string, string>): string {
  if (legendFormat && legendFormat.trim() && legendFormat !== '__auto') {
    return legendFormat.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, label: string) => metric[label] ?? '').trim();
  }
  const { __name__: name = '', ...labels } = metric;
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return pairs.length ? `${name}{${pairs.join(', ')}}` : name || 'value';
}

/** One query_range series on the shared time grid (start, start + step, … end): null where it has no sample or NaN. */
export function onGrid(values: [number, string][], start: number, step: number, points: number): (number | null)[] {
  const grid: (number | null)[] = Array.from({ length: points }, () => null);
  for (const [t, v] of values) {
    const i = Math.round((t - start) / step);
    const n = Number(v);
    if (i >= 0 && i < points && Number.isFinite(n)) grid[i] = n;
  }
  return grid;
}

/** The unit and axis side of one target's series: the panel's defaults, then overrides matching its refId (or name). */
export function fieldFor(panel: DashboardPanel, refId: string, name: string): { unit: string; right: boolean } {
  let unit = panel.fieldConfig?.defaults?.unit ?? 'short';
  let right = false;
  for (const o of panel.fieldConfig?.overrides ?? []) {
    const matches =
      (o.matcher.id === 'byFrameRefID' && o.matcher.options === refId) || (o.matcher.id === 'byName' && o.matcher.options === name);
    if (!matches) continue;
    for (const p of o.properties) {
      if (p.id === 'unit') unit = String(p.value);
      if (p.id === 'custom.axisPlacement') right = p.value === 'right';
    }
  }
  return { unit, right };
}
