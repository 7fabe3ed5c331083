/**
 * The Usage page's view (kept in the URL) and the shaping of GET /v1/usage answers into chart
 * series, totals and CSV. No React and no DOM here, so it is tested on its own.
 */
import type { UsageRowDto } from '@modelgate/sdk';

export type GroupBy = 'model' | 'version' | 'caller';
export type Interval = 'hour' | 'day';
export type Metric = 'requests' | 'rows' | 'errors' | 'p95Ms' | 'computeMs';
export type Preset = '24h' | '7d' | '30d';
export type RangeChoice = Preset | 'custom';

/**
 * One row of a usage answer: a group's totals over the range, or (with an interval) over one `bucket`;
 * callers carry their `name`.
 */
export type UsageItem = UsageRowDto;

export const GROUPS: { id: GroupBy; label: string }[] = [
  { id: 'model', label: 'Model' },
  { id: 'version', label: 'Version' },
  { id: 'caller', label: 'Caller' },
];

export const METRICS: { id: Metric; label: string; unit?: 'ms' }[] = [
  { id: 'requests', label: 'Requests' },
  { id: 'rows', label: 'Rows' },
  { id: 'errors', label: 'Errors' },
  { id: 'p95Ms', label: 'p95 latency (ms)', unit: 'ms' },
  { id: 'computeMs', label: 'Compute (ms)', unit: 'ms' },
];

export const PRESETS: { id: Preset; label: string; ms: number }[] = [
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
];

export const INTERVAL_MS: Record<Interval, number> = { hour: 3_600_000, day: 86_400_000 };
/** The API refuses more buckets than this (422); the page says so before asking. */
export const MAX_BUCKETS = 1000;
/** Up to this span the chart is hourly, beyond it daily, unless the person chooses. */
const HOURLY_UP_TO_MS = 3 * 86_400_000;
/** Series drawn one by one; the remaining keys are summed into one. */
export const TOP_SERIES = 8;

export interface UsageView {
  range: RangeChoice;
  /** Custom range only: UTC days, `YYYY-MM-DD`, both inclusive. */
  fromDate: string;
  toDate: string;
  /** Chosen by the person; otherwise it follows the range. */
  interval?: Interval;
  groupBy: GroupBy;
  model?: string;
  metric: Metric;
}

const DEFAULT_VIEW: UsageView = { range: '7d', fromDate: '', toDate: '', groupBy: 'model', metric: 'requests' };

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** The view a link describes; anything unknown falls back to the default. */
export function readView(params: URLSearchParams): UsageView {
  const interval = params.get('interval');
  return {
    range: oneOf<RangeChoice>(params.get('range'), ['24h', '7d', '30d', 'custom'], DEFAULT_VIEW.range),
    fromDate: params.get('from') ?? '',
    toDate: params.get('to') ?? '',
    interval: interval === 'hour' || interval === 'day' ? interval : undefined,
    groupBy: oneOf<GroupBy>(params.get('groupBy'), ['model', 'version', 'caller'], DEFAULT_VIEW.groupBy),
    model: params.get('model') || undefined,
    metric: oneOf<Metric>(params.get('metric'), ['requests', 'rows', 'errors', 'p95Ms', 'computeMs'], DEFAULT_VIEW.metric),
  };
}

/** The search params of a view (the range, grouping and metric always, so a shared link is explicit). */
export function writeView(view: UsageView): URLSearchParams {
  const params = new URLSearchParams({ range: view.range });
  if (view.range === 'custom') {
    params.set('from', view.fromDate);
    params.set('to', view.toDate);
  }
  if (view.interval) params.set('interval', view.interval);
  params.set('groupBy', view.groupBy);
  if (view.model) params.set('model', view.model);
  params.set('metric', view.metric);
  return params;
}

export type ResolvedRange =
  | { ok: true; from: Date; to: Date; interval: Interval; buckets: number }
  | { ok: false; field: 'from' | 'to' | 'interval'; message: string };

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function utcDay(value: string): number | undefined {
  if (!DATE.test(value)) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  // Date.parse rolls 2025-02-30 over to March: only a date that reads back the same is one.
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === value ? ms : undefined;
}

export function autoInterval(spanMs: number): Interval {
  return spanMs <= HOURLY_UP_TO_MS ? 'hour' : 'day';
}

/**
 * The request's range: a preset ends with the bucket `now` is in (so it is stable between renders and
 * aligned with the API's buckets); a custom range runs over whole UTC days, both ends included.
 */
export function resolveRange(view: UsageView, now: number): ResolvedRange {
  let from: number;
  let to: number;
  let interval: Interval;
  if (view.range === 'custom') {
    const start = utcDay(view.fromDate);
    if (start === undefined) return { ok: false, field: 'from', message: 'Enter a start date.' };
    const end = utcDay(view.toDate);
    if (end === undefined) return { ok: false, field: 'to', message: 'Enter an end date.' };
    if (end < start) return { ok: false, field: 'to', message: 'The end date must be on or after the start date.' };
    from = start;
    to = end + INTERVAL_MS.day;
    interval = view.interval ?? autoInterval(to - from);
  } else {
    const span = PRESETS.find((p) => p.id === view.range)!.ms;
    interval = view.interval ?? autoInterval(span);
    const unit = INTERVAL_MS[interval];
    to = Math.floor(now / unit) * unit + unit;
    from = to - span;
  }
  const buckets = Math.ceil((to - from) / INTERVAL_MS[interval]);
  if (buckets > MAX_BUCKETS) {
    const each = interval === 'hour' ? 'hourly' : 'daily';
    return {
      ok: false,
      field: 'interval',
      message:
        `This range has ${buckets.toLocaleString('en')} ${each} buckets; a chart holds at most ${MAX_BUCKETS.toLocaleString('en')}. ` +
        (interval === 'hour' ? 'Choose daily buckets or a shorter range.' : 'Choose a shorter range.'),
    };
  }
  return { ok: true, from: new Date(from), to: new Date(to), interval, buckets };
}

/** `YYYY-MM-DD` of the UTC day `ms` is in. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** What a person reads for a group: a caller's name (never its id), `model v3` for a version. */
export function groupLabel(item: Pick<UsageItem, 'key' | 'name'>, groupBy: GroupBy): string {
  // The API names every caller; null is a user or key deleted since.
  if (groupBy === 'caller') return item.name ?? (item.name === null ? 'deleted caller' : 'unknown caller');
  if (groupBy === 'version') {
    const cut = item.key.lastIndexOf(':');
    if (cut < 0) return item.key;
    const version = item.key.slice(cut + 1);
    return version === '-' ? `${item.key.slice(0, cut)} (no version)` : `${item.key.slice(0, cut)} v${version}`;
  }
  return item.key;
}

export interface Series {
  /** The group's key, or undefined for the sum of the rest. */
  key?: string;
  label: string;
  values: (number | null)[];
}

export interface ChartData {
  /** Bucket starts, in seconds (uPlot's time scale). */
  xs: number[];
  series: Series[];
}

/** Every bucket start of the range, empty ones included. */
export function bucketStarts(from: Date, to: Date, interval: Interval): number[] {
  const unit = INTERVAL_MS[interval];
  const starts: number[] = [];
  for (let t = Math.floor(from.getTime() / unit) * unit; t < to.getTime(); t += unit) starts.push(t);
  return starts;
}

const isLatency = (metric: Metric) => metric === 'p95Ms';

/**
 * One series per key of the top `TOP_SERIES` by requests over the range, the rest as one more. Buckets
 * without predictions count zero; a latency has no value there (a gap, not a fast zero), and the rest's
 * latency is the highest of its keys (a sum of percentiles means nothing).
 */
export function chartData(
  items: readonly UsageItem[],
  range: { from: Date; to: Date; interval: Interval },
  groupBy: GroupBy,
  metric: Metric,
): ChartData {
  const starts = bucketStarts(range.from, range.to, range.interval);
  const index = new Map(starts.map((t, i) => [t, i]));
  const byKey = new Map<string, { item: UsageItem; requests: number }>();
  for (const item of items) {
    const seen = byKey.get(item.key);
    if (seen) seen.requests += item.requests;
    else byKey.set(item.key, { item, requests: item.requests });
  }
  const ranked = [...byKey.values()].sort((a, b) => b.requests - a.requests || a.item.key.localeCompare(b.item.key));
  const top = ranked.slice(0, TOP_SERIES);
  const rest = ranked.length - top.length;
  const position = new Map(top.map((t, i) => [t.item.key, i]));
  const empty = () => starts.map(() => (isLatency(metric) ? null : 0));
  const series: Series[] = top.map((t) => ({ key: t.item.key, label: groupLabel(t.item, groupBy), values: empty() }));
  const other: Series | undefined = rest > 0 ? { label: `Other (${rest} more)`, values: empty() } : undefined;
  if (other) series.push(other);

  for (const item of items) {
    const i = item.bucket ? index.get(Date.parse(item.bucket)) : undefined;
    if (i === undefined) continue;
    const target = position.has(item.key) ? series[position.get(item.key)!] : other!;
    const value = item[metric];
    const previous = target.values[i];
    target.values[i] = isLatency(metric) ? Math.max(previous ?? 0, value) : (previous ?? 0) + value;
  }
  return { xs: starts.map((t) => t / 1000), series };
}

/** The whole range's totals: sums, and the requests-weighted error rate. */
export function grandTotal(totals: readonly UsageItem[]): { requests: number; rows: number; errors: number; computeMs: number } {
  return totals.reduce(
    (sum, t) => ({
      requests: sum.requests + t.requests,
      rows: sum.rows + t.rows,
      errors: sum.errors + t.errors,
      computeMs: sum.computeMs + t.computeMs,
    }),
    { requests: 0, rows: 0, errors: 0, computeMs: 0 },
  );
}

export const CSV_COLUMNS = ['bucket', 'key', 'name', 'requests', 'rows', 'errors', 'p50Ms', 'p95Ms', 'computeMs'] as const;

function csvField(value: string | number): string {
  let text = String(value);
  // A name typed by a person must not become a formula in a spreadsheet (CSV injection).
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The bucketed rows as CSV (RFC 4180, CRLF line ends), in the API's order: by bucket, then most requests. */
export function toCsv(items: readonly UsageItem[], groupBy: GroupBy): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const item of items) {
    lines.push(
      [
        item.bucket ?? '',
        item.key,
        groupLabel(item, groupBy),
        item.requests,
        item.rows,
        item.errors,
        item.p50Ms,
        item.p95Ms,
        item.computeMs,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** e.g. `usage-by-model-2025-01-01T00-00Z-to-2025-01-08T00-00Z-day.csv` (no colons: some systems refuse them). */
export function csvFileName(range: { from: Date; to: Date; interval: Interval }, groupBy: GroupBy, model?: string): string {
  const stamp = (d: Date) => d.toISOString().slice(0, 16).replace(':', '-') + 'Z';
  return `usage-by-${groupBy}${model ? `-${model}` : ''}-${stamp(range.from)}-to-${stamp(range.to)}-${range.interval}.csv`;
}
