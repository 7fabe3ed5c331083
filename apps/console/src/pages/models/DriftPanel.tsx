import { dataOf, getVersionDrift, isModelGateError, type ModelVersionDto, putVersionProfile } from '@modelgate/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, Form, Input, Label, Text, TextField, ToggleButton, ToggleButtonGroup } from 'react-aria-components';
import { Link, useSearchParams } from 'react-router';
import {
  chartSummary,
  DEFAULT_WINDOW,
  DRIFT_WINDOWS,
  type DriftReport,
  type DriftStatus,
  type FeatureDrift,
  formatPsi,
  formatShare,
  formatStat,
  parseColumns,
  profileSource,
  readWindow,
  STATUS_TEXT,
} from './drift-view';
import { useDatasets } from '../training/DatasetsTable';
import { useSession } from '../../session';
import { Empty, ErrorNotice, formatDate, Loading, Picker, problemMessage } from '../../ui';

/** Reports are re-read this often while the panel is open: served rows keep arriving. */
const REFRESH_MS = 60_000;

/**
 * How the rows a version serves compare with its reference profile (ML engineers and admins): PSI,
 * status and means per feature with their bins side by side, and the predictions' distribution;
 * without a profile, a form that builds one from a dataset.
 *
 * Opened on demand (`?window=` in the address): a version without a profile answers 404, and a
 * page that opened it unasked would show every visit as a failed request.
 */
export function DriftPanel({ version: v }: { version: ModelVersionDto }) {
  const { client } = useSession();
  const [params, setParams] = useSearchParams();
  const open = params.has('window');
  const span = readWindow(params);
  const report = useQuery({
    queryKey: ['drift', v.model, v.version, span.minutes],
    queryFn: ({ signal }) =>
      dataOf(
        getVersionDrift({ client: client.api, path: { name: v.model, version: v.version }, query: { window: span.minutes }, signal }),
      ) as Promise<DriftReport>,
    enabled: open,
    refetchInterval: REFRESH_MS,
  });
  const [replacing, setReplacing] = useState(false);
  const noProfile = report.isError && isModelGateError(report.error, 'PROFILE_NOT_FOUND');

  /** Opens the panel on a window (or closes it), keeping the rest of the address. */
  const setWindow = (id: string | null) => {
    // From the address as it is now: the toggle group was seen calling a handler of an earlier render,
    // whose parameters missed a version chosen since (the browser suite checks both stay).
    const next = new URLSearchParams(window.location.search);
    if (id === null) next.delete('window');
    else next.set('window', id);
    setParams(next, { replace: true });
  };

  if (!open) {
    return (
      <section className="card drift" aria-labelledby="drift-title">
        <div className="page-head">
          <h2 id="drift-title">Drift of version {v.version}</h2>
          <Button className="button" aria-expanded={false} onPress={() => setWindow(DEFAULT_WINDOW.id)}>
            Show drift
          </Button>
        </div>
        <p className="muted">
          How the data this version serves compares with its reference profile: PSI per feature and for its predictions.
        </p>
      </section>
    );
  }

  return (
    <section className="card drift" aria-labelledby="drift-title">
      <div className="page-head">
        <h2 id="drift-title">Drift of version {v.version}</h2>
        <div className="actions">
          {!noProfile && (
            <>
              <ToggleButtonGroup
                className="segmented drift-windows"
                aria-label="Window"
                selectionMode="single"
                disallowEmptySelection
                selectedKeys={[span.id]}
                onSelectionChange={(keys) => setWindow(String([...keys][0]))}
              >
                {DRIFT_WINDOWS.map((w) => (
                  <ToggleButton key={w.id} id={w.id} className="button">
                    {w.label}
                  </ToggleButton>
                ))}
              </ToggleButtonGroup>
              <Button className="button" onPress={() => void report.refetch()} isDisabled={report.isFetching}>
                {report.isFetching && !report.isPending ? 'Refreshing…' : 'Refresh'}
              </Button>
            </>
          )}
          <Button className="button" aria-expanded onPress={() => setWindow(null)}>
            Hide drift
          </Button>
        </div>
      </div>

      {report.isPending ? (
        <Loading label="Loading the drift report" />
      ) : noProfile ? (
        <>
          <Empty>
            <p>
              <strong>Version {v.version} has no reference profile</strong>, so what it serves has nothing to be compared with. A version
              trained here keeps the profile of its training split; for an uploaded one, build a profile from a dataset like the data it was
              trained on (its columns in the version&apos;s input order).
            </p>
          </Empty>
          <BuildProfile version={v} />
        </>
      ) : report.isError ? (
        <ErrorNotice error={report.error} title="Could not load the drift report" />
      ) : (
        <>
          <Summary report={report.data} windowLabel={span.label} onReplace={() => setReplacing((r) => !r)} replacing={replacing} />
          {replacing && <BuildProfile version={v} replacing onDone={() => setReplacing(false)} />}
          {report.data.rows === 0 ? (
            <Empty>
              <p>
                <strong>No predictions in this window.</strong> Nothing was served by version {v.version} over the last {span.label}
                {report.data.profile.revision > 1 ? ' since its profile was last replaced' : ''}; choose a longer window, or come back once
                it has served requests.
              </p>
            </Empty>
          ) : (
            <>
              <FeatureTable report={report.data} windowLabel={span.label} />
              <Predictions report={report.data} />
            </>
          )}
        </>
      )}
    </section>
  );
}

function Summary({
  report: r,
  windowLabel,
  replacing,
  onReplace,
}: {
  report: DriftReport;
  windowLabel: string;
  replacing: boolean;
  onReplace: () => void;
}) {
  return (
    <dl className="facts drift-facts">
      <div>
        <dt>Window</dt>
        <dd>
          Last {windowLabel}{' '}
          <span className="muted small">
            (<time dateTime={r.from}>{formatDate(r.from)}</time> – <time dateTime={r.to}>{formatDate(r.to)}</time>)
          </span>
        </dd>
      </div>
      <div>
        <dt>Rows served</dt>
        <dd>{r.rows.toLocaleString()}</dd>
      </div>
      <div>
        <dt>Profile</dt>
        <dd>
          From {profileSource(r.profile.source)}
          {r.profile.rows !== null && <> ({r.profile.rows.toLocaleString()} rows)</>}, revision {r.profile.revision}
          <div className="muted small">
            <time dateTime={r.profile.createdAt}>{formatDate(r.profile.createdAt)}</time>{' '}
            <Button className="link-button" onPress={onReplace} aria-expanded={replacing}>
              Replace the profile
            </Button>
          </div>
        </dd>
      </div>
    </dl>
  );
}

export function StatusBadge({ status }: { status: DriftStatus }) {
  if (status === null) return <span className="muted">no data</span>;
  return (
    <span className={`badge drift-${status}`} title={STATUS_TEXT[status]}>
      {status}
    </span>
  );
}

/** A feature's (or the predictions') bins as pairs of bars: the profile's share, then the served share. */
export function PairedBars({
  label,
  training,
  serving,
  bar = 7,
  height = 40,
}: {
  label: string;
  training: readonly number[];
  serving: readonly number[] | null;
  /** A bar's width (a pair is two bars and a gap). */
  bar?: number;
  height?: number;
}) {
  const step = 2 * bar + Math.max(4, bar / 2);
  const max = Math.max(...training, ...(serving ?? []), 1e-9);
  const h = (share: number) => Math.max((share / max) * (height - 2), share > 0 ? 1 : 0);
  return (
    <svg className="drift-chart" role="img" aria-label={label} width={training.length * step} height={height}>
      <title>{label}</title>
      {training.map((share, i) => (
        <g key={i}>
          <rect className="drift-bar-profile" x={i * step} y={height - 1 - h(share)} width={bar} height={h(share)} />
          {serving && (
            <rect className="drift-bar-served" x={i * step + bar} y={height - 1 - h(serving[i])} width={bar} height={h(serving[i])} />
          )}
        </g>
      ))}
      <line className="drift-axis" x1={0} x2={training.length * step} y1={height - 0.5} y2={height - 0.5} />
    </svg>
  );
}

function Legend() {
  return (
    <p className="drift-legend small">
      <span className="drift-swatch drift-bar-profile" /> profile <span className="drift-swatch drift-bar-served" /> served in the window ·
      PSI: <span className="muted">ok below 0.1, warn from 0.1, alert from 0.25</span>
    </p>
  );
}

const meanStd = (mean: number | null, std: number | null) => (mean === null ? '—' : `${formatStat(mean)} ± ${formatStat(std)}`);

function FeatureTable({ report: r, windowLabel }: { report: DriftReport; windowLabel: string }) {
  return (
    <>
      <Legend />
      <table className="table compact drift-table">
        <caption className="visually-hidden">
          Drift per feature of version {r.version} over the last {windowLabel}
        </caption>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col" className="num">
              PSI
            </th>
            <th scope="col">Status</th>
            <th scope="col">Profile mean ± std</th>
            <th scope="col">Served mean ± std</th>
            <th scope="col">Bins: profile vs served</th>
          </tr>
        </thead>
        <tbody>
          {r.features.map((f: FeatureDrift) => (
            <tr key={f.name} className={f.status === 'alert' ? 'drift-row-alert' : undefined}>
              <th scope="row">
                <code>{f.name}</code>
              </th>
              <td className="num">{formatPsi(f.psi)}</td>
              <td>
                <StatusBadge status={f.status} />
              </td>
              <td className="drift-stat">{meanStd(f.meanTraining, f.stdTraining)}</td>
              <td className="drift-stat">{meanStd(f.meanServing, f.stdServing)}</td>
              <td>
                <PairedBars label={chartSummary(f.name, f.binShares, f.servingShares)} training={f.binShares} serving={f.servingShares} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Predictions({ report: r }: { report: DriftReport }) {
  const p = r.predictions;
  const training = p.distributionTraining ?? [];
  const names = p.kind === 'classes' && p.classes ? p.classes : training.map((_, i) => `Bin ${i + 1}`);
  return (
    <section className="drift-predictions" aria-labelledby="drift-predictions-title">
      <h3 id="drift-predictions-title">Predictions</h3>
      {p.kind === null || training.length === 0 ? (
        <p className="muted">The profile holds no distribution of predictions to compare with (it was given as statistics without one).</p>
      ) : (
        <>
          <p>
            {p.kind === 'classes' ? 'Share of rows predicted as each class' : 'Share of predicted values per bin of the profile'}: PSI{' '}
            <strong>{formatPsi(p.psi)}</strong> <StatusBadge status={p.status} />
          </p>
          <div className="drift-prediction-grid">
            <table className="table compact">
              <caption className="visually-hidden">Predictions of version {r.version}: profile vs served</caption>
              <thead>
                <tr>
                  <th scope="col">{p.kind === 'classes' ? 'Class' : 'Value bin'}</th>
                  <th scope="col" className="num">
                    Profile
                  </th>
                  <th scope="col" className="num">
                    Served
                  </th>
                </tr>
              </thead>
              <tbody>
                {names.map((name, i) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td className="num">{formatShare(training[i])}</td>
                    <td className="num">{formatShare(p.distributionServing?.[i])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <PairedBars
              label={chartSummary('Predictions', training, p.distributionServing, p.kind === 'classes' ? 'class' : 'bin')}
              training={training}
              serving={p.distributionServing}
              bar={training.length <= 5 ? 22 : 9}
              height={80}
            />
          </div>
        </>
      )}
    </section>
  );
}

/** Builds (or replaces) the version's profile from a dataset: PUT .../profile `{datasetId, columns?}`. */
function BuildProfile({ version: v, replacing = false, onDone }: { version: ModelVersionDto; replacing?: boolean; onDone?: () => void }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const datasets = useDatasets();
  const [datasetId, setDatasetId] = useState<string | null>(null);
  const [columns, setColumns] = useState('');
  const build = useMutation({
    mutationFn: (body: { datasetId: string; columns?: string[] }) =>
      dataOf(putVersionProfile({ client: client.api, path: { name: v.model, version: v.version }, body })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['drift', v.model, v.version] });
      onDone?.();
    },
  });

  if (datasets.isPending) return <Loading label="Loading the datasets" />;
  if (datasets.isError) return <ErrorNotice error={datasets.error} title="Could not load the datasets" />;
  if (datasets.data.items.length === 0) {
    return (
      <p className="muted">
        No dataset to build a profile from yet: upload one on the <Link to="/training">Training</Link> page.
      </p>
    );
  }
  return (
    <div className="drift-build">
      <h3>{replacing ? 'Replace the profile' : 'Build a profile'}</h3>
      <Form
        className="inline-form"
        aria-label={replacing ? 'Replace the profile' : 'Build a profile'}
        onSubmit={(e) => {
          e.preventDefault();
          if (!datasetId) return;
          const cols = parseColumns(columns);
          build.mutate({ datasetId, ...(cols ? { columns: cols } : {}) });
        }}
      >
        <Picker
          label="Dataset"
          isRequired
          name="datasetId"
          value={datasetId}
          onChange={setDatasetId}
          items={datasets.data.items.map((d) => ({ id: d.id, label: d.name, detail: `${d.rows.toLocaleString()} rows` }))}
        />
        <TextField className="field drift-columns" value={columns} onChange={setColumns}>
          <Label>Columns (optional)</Label>
          <Input placeholder="e.g. sepal_length, sepal_width" />
          <Text slot="description" className="muted small">
            Comma-separated, in the version&apos;s input order; by default its feature names, else the dataset&apos;s numeric columns.
          </Text>
        </TextField>
        <Button type="submit" className="button button-primary" isDisabled={!datasetId || build.isPending}>
          {build.isPending ? 'Building the profile…' : 'Build profile'}
        </Button>
        {replacing && (
          <Button className="button" onPress={onDone} isDisabled={build.isPending}>
            Cancel
          </Button>
        )}
      </Form>
      {build.isError && <BuildError error={build.error} />}
    </div>
  );
}

/** The API's problem detail, and each field it names (a 422 VALIDATION_FAILED lists them in `errors`). */
function BuildError({ error }: { error: unknown }) {
  const fields = isModelGateError(error) ? (error.errors ?? []) : [];
  return (
    <div className="notice notice-error" role="alert">
      <strong>The profile was not built</strong>
      <p>{problemMessage(error)}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f, i) => (
            <li key={`${f.field}-${i}`}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
