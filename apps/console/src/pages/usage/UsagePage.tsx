import type { GetUsageData, ModelGateClient } from '@modelgate/sdk';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useCallback, useEffect, useId, useMemo, useState } from 'react';
import { Button, Label, Radio, RadioGroup } from 'react-aria-components';
import { useSearchParams } from 'react-router';
import { useSession } from '../../session';
import { Empty, ErrorNotice, Loading, Picker } from '../../ui';
import {
  chartData,
  csvFileName,
  GROUPS,
  grandTotal,
  groupLabel,
  type GroupBy,
  type Interval,
  isoDay,
  type Metric,
  METRICS,
  PRESETS,
  type RangeChoice,
  readView,
  resolveRange,
  toCsv,
  type UsageItem,
  type UsageView,
  writeView,
} from './usage-data';
import './usage.css';

// uPlot is only downloaded when a chart is drawn.
const UsageChart = lazy(() => import('./UsageChart'));

/** The select's key for "no filter" (a model name cannot start with `*`). */
const ALL_MODELS = '*';
const MODEL_PAGE = 100;
/** The filter lists this many models at most; more than that is beyond a menu anyway. */
const MAX_MODELS = 1000;

type UsageQuery = NonNullable<GetUsageData['query']>;

async function modelNames(client: ModelGateClient, signal: AbortSignal): Promise<string[]> {
  const names: string[] = [];
  for (let offset = 0; offset < MAX_MODELS; offset += MODEL_PAGE) {
    const page = await client.models.list({ limit: MODEL_PAGE, offset }, { signal });
    names.push(...page.items.map((m) => m.name));
    if (page.items.length < MODEL_PAGE || names.length >= page.page.total) break;
  }
  return names.sort();
}

const count = (n: number) => n.toLocaleString();
const ms = (n: number) => `${n.toLocaleString(undefined, { maximumFractionDigits: 1 })} ms`;
const rate = (errors: number, requests: number) =>
  requests === 0 ? '—' : `${((errors / requests) * 100).toLocaleString(undefined, { maximumFractionDigits: 1 })}%`;
const hourText = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');

export default function UsagePage() {
  const { client } = useSession();
  const [params, setParams] = useSearchParams();
  const view = useMemo(() => readView(params), [params]);
  const update = useCallback(
    (patch: Partial<UsageView>) => setParams(writeView({ ...view, ...patch }), { replace: true }),
    [view, setParams],
  );

  // A preset ends with the current bucket, so this is the same range until the next hour (or day) begins.
  const resolved = resolveRange(view, Date.now());
  const query: UsageQuery | undefined = resolved.ok
    ? {
        from: resolved.from.toISOString(),
        to: resolved.to.toISOString(),
        groupBy: view.groupBy,
        ...(view.model ? { model: view.model } : {}),
      }
    : undefined;
  const interval: Interval | undefined = resolved.ok ? resolved.interval : undefined;

  const series = useQuery({
    queryKey: ['usage', 'series', query, interval],
    queryFn: ({ signal }) => client.usage({ ...query, interval }, { signal }),
    enabled: query !== undefined,
  });
  const totals = useQuery({
    queryKey: ['usage', 'totals', query],
    queryFn: ({ signal }) => client.usage(query, { signal }),
    enabled: query !== undefined,
  });

  const metric = METRICS.find((m) => m.id === view.metric)!;
  const group = GROUPS.find((g) => g.id === view.groupBy)!;

  const chart = useMemo(
    () => (resolved.ok && series.data ? chartData(series.data.items, resolved, view.groupBy, view.metric) : undefined),
    // resolved is rebuilt on every render; its ISO strings (in query) say when it changed.
    [series.data, query?.from, query?.to, interval, view.groupBy, view.metric],
  );

  const chooseRange = (range: RangeChoice) => {
    if (range === view.range) return;
    if (range === 'custom' && resolved.ok) {
      // Start from the range on screen, as whole days.
      update({ range, interval: undefined, fromDate: isoDay(resolved.from.getTime()), toDate: isoDay(resolved.to.getTime() - 1) });
    } else update({ range, interval: undefined });
  };

  // Days are named inclusively (the 1st to the 7th); hours by their bounds (13:00 to 13:00 the next day).
  const rangeText = resolved.ok
    ? resolved.interval === 'day'
      ? `${isoDay(resolved.from.getTime())} to ${isoDay(resolved.to.getTime() - 1)} UTC`
      : `${hourText(resolved.from)} to ${hourText(resolved.to)} UTC`
    : '';
  const chartLabel = resolved.ok
    ? `${metric.label} per ${resolved.interval}, by ${group.label.toLowerCase()}${view.model ? ` (model ${view.model})` : ''}, ${rangeText}. ` +
      `The totals per ${group.label.toLowerCase()} are in the table below the chart.`
    : '';

  return (
    <section aria-labelledby="page-title" className="usage">
      <div className="page-head">
        <h1 id="page-title">Usage</h1>
        <div className="actions">
          <Button
            className="button"
            isDisabled={!query || series.isFetching || totals.isFetching}
            onPress={() => {
              void series.refetch();
              void totals.refetch();
            }}
          >
            Refresh
          </Button>
          <CsvLink
            items={series.data?.items}
            groupBy={view.groupBy}
            name={resolved.ok ? csvFileName(resolved, view.groupBy, view.model) : ''}
          />
        </div>
      </div>
      <p className="muted">Predictions served, by model, version or caller. Times are in UTC; the link to this page keeps what it shows.</p>

      <div className="usage-controls" role="group" aria-label="What to show">
        <Choice
          label="Range"
          value={view.range}
          onChange={chooseRange}
          options={[...PRESETS.map((p) => ({ id: p.id, label: p.label })), { id: 'custom' as const, label: 'Custom' }]}
        />
        {view.range === 'custom' && <CustomRange view={view} update={update} />}
        <Choice
          label="Interval"
          value={view.interval ?? (resolved.ok ? resolved.interval : 'day')}
          onChange={(i) => update({ interval: i })}
          options={[
            { id: 'hour', label: 'Hourly' },
            { id: 'day', label: 'Daily' },
          ]}
        />
        <Choice label="Group by" value={view.groupBy} onChange={(g) => update({ groupBy: g })} options={GROUPS} />
        <ModelFilter value={view.model} onChange={(model) => update({ model })} />
        <Picker
          className="field usage-select"
          labelClassName="choice-label"
          label="Metric"
          value={view.metric}
          onChange={(key) => key !== null && update({ metric: key as Metric })}
          items={METRICS}
        />
      </div>

      {!resolved.ok ? (
        <div className="notice notice-error" role="alert">
          <strong>This range cannot be shown</strong>
          <p>{resolved.message}</p>
        </div>
      ) : series.isError || totals.isError ? (
        <ErrorNotice error={series.error ?? totals.error} title="Could not load the usage" />
      ) : series.isPending || totals.isPending ? (
        <Loading label="Loading usage" />
      ) : totals.data.items.length === 0 && series.data.items.length === 0 ? (
        <Empty>
          <p>No predictions in this range{view.model ? ` for ${view.model}` : ''}.</p>
        </Empty>
      ) : (
        <>
          <h2>
            {metric.label} per {resolved.interval}
            <span className="muted small usage-range"> {rangeText}</span>
          </h2>
          <Suspense fallback={<Loading label="Loading the chart" />}>
            {chart && <UsageChart data={chart} interval={resolved.interval} label={chartLabel} unit={metric.unit} />}
          </Suspense>
          {view.metric === 'p95Ms' && chart?.series.some((s) => s.key === undefined) && (
            <p className="muted small">The p95 latency of “Other” is the highest of its {group.label.toLowerCase()}s’.</p>
          )}
          <h2>Totals</h2>
          <Totals items={totals.data.items} groupBy={view.groupBy} rangeText={rangeText} />
        </>
      )}
    </section>
  );
}

function Choice<T extends string>({
  label,
  value,
  onChange,
  options,
}: {
  label: string;
  value: T;
  onChange: (value: T) => void;
  options: readonly { id: T; label: string }[];
}) {
  return (
    <RadioGroup className="usage-choice" orientation="horizontal" value={value} onChange={(v) => onChange(v as T)}>
      <Label className="choice-label">{label}</Label>
      <div className="segmented">
        {options.map((o) => (
          <Radio key={o.id} value={o.id} className="segment">
            {o.label}
          </Radio>
        ))}
      </div>
    </RadioGroup>
  );
}

/** Two UTC days, both included; what is typed reaches the URL (and the API) once the person pauses. */
function CustomRange({ view, update }: { view: UsageView; update: (patch: Partial<UsageView>) => void }) {
  const id = useId();
  const [from, setFrom] = useState(view.fromDate);
  const [to, setTo] = useState(view.toDate);
  // A change from elsewhere (a link, the range choice) wins over what was typed.
  useEffect(() => setFrom(view.fromDate), [view.fromDate]);
  useEffect(() => setTo(view.toDate), [view.toDate]);
  useEffect(() => {
    if (from === view.fromDate && to === view.toDate) return;
    const timer = setTimeout(() => update({ fromDate: from, toDate: to }), 400);
    return () => clearTimeout(timer);
  }, [from, to, view, update]);
  return (
    <div className="usage-dates">
      <div className="field">
        <label htmlFor={`${id}-from`}>From (UTC day)</label>
        <input id={`${id}-from`} type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-to`}>To (UTC day, included)</label>
        <input id={`${id}-to`} type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} />
      </div>
    </div>
  );
}

function ModelFilter({ value, onChange }: { value?: string; onChange: (model: string | undefined) => void }) {
  const { client } = useSession();
  const models = useQuery({ queryKey: ['models', 'names'], queryFn: ({ signal }) => modelNames(client, signal) });
  const names = models.data ?? [];
  // A link may name a model that is gone: it stays selectable, so the view it describes is shown.
  const listed = value && !names.includes(value) ? [value, ...names] : names;
  const items = [{ id: ALL_MODELS, label: 'All models' }, ...listed.map((n) => ({ id: n, label: n }))];
  return (
    <div className="usage-model">
      <Picker
        className="field usage-select"
        labelClassName="choice-label"
        label="Model"
        value={value ?? ALL_MODELS}
        onChange={(key) => key !== null && onChange(key === ALL_MODELS ? undefined : key)}
        items={items}
      />
      {models.isError && <p className="muted small">The list of models could not be loaded; all models are shown.</p>}
    </div>
  );
}

/** A real link to the CSV (a Blob URL: nothing leaves the browser, and the CSP allows it), renewed with the data. */
function CsvLink({ items, groupBy, name }: { items?: UsageItem[]; groupBy: GroupBy; name: string }) {
  const [href, setHref] = useState<string>();
  useEffect(() => {
    if (!items || items.length === 0) {
      setHref(undefined);
      return;
    }
    const url = URL.createObjectURL(new Blob([toCsv(items, groupBy)], { type: 'text/csv;charset=utf-8' }));
    setHref(url);
    return () => URL.revokeObjectURL(url);
  }, [items, groupBy]);
  if (!href) {
    return (
      <Button className="button" isDisabled>
        Download CSV
      </Button>
    );
  }
  return (
    <a className="button usage-download" href={href} download={name}>
      Download CSV
    </a>
  );
}

function Totals({ items, groupBy, rangeText }: { items: UsageItem[]; groupBy: GroupBy; rangeText: string }) {
  const group = GROUPS.find((g) => g.id === groupBy)!;
  const all = grandTotal(items);
  return (
    <table className="table usage-totals">
      <caption className="visually-hidden">
        Totals per {group.label.toLowerCase()}, {rangeText}
      </caption>
      <thead>
        <tr>
          <th scope="col">{group.label}</th>
          <th scope="col">Requests</th>
          <th scope="col">Rows</th>
          <th scope="col">Errors</th>
          <th scope="col">Error rate</th>
          <th scope="col">p50</th>
          <th scope="col">p95</th>
          <th scope="col">Compute</th>
        </tr>
      </thead>
      <tbody>
        {items.map((t) => (
          <tr key={t.key}>
            <th scope="row">{groupLabel(t, groupBy)}</th>
            <td>{count(t.requests)}</td>
            <td>{count(t.rows)}</td>
            <td>{count(t.errors)}</td>
            <td>{rate(t.errors, t.requests)}</td>
            <td>{ms(t.p50Ms)}</td>
            <td>{ms(t.p95Ms)}</td>
            <td>{ms(t.computeMs)}</td>
          </tr>
        ))}
      </tbody>
      {items.length > 1 && (
        <tfoot>
          <tr>
            <th scope="row">All</th>
            <td>{count(all.requests)}</td>
            <td>{count(all.rows)}</td>
            <td>{count(all.errors)}</td>
            <td>{rate(all.errors, all.requests)}</td>
            <td>—</td>
            <td>—</td>
            <td>{ms(all.computeMs)}</td>
          </tr>
        </tfoot>
      )}
    </table>
  );
}
