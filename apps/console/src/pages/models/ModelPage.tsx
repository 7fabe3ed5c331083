import { dataOf, listModelVersionTransitions, type ModelVersionDto } from '@modelgate/sdk';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { PendingPromotions, RequireApproval } from './Approval';
import { DriftPanel } from './DriftPanel';
import { EvaluationReport, stopFactsOf } from './EvaluationReport';
import { Rollout } from './Rollout';
import { SignatureChanges } from './SignatureChanges';
import { Sunset } from './Sunset';
import { TransitionAction } from './TransitionAction';
import { TryIt } from './TryIt';
import { UploadVersion } from './UploadVersion';
import { type Role, type Session, useSession } from '../../session';
import { Empty, ErrorNotice, formatBytes, formatDate, Loading, StageBadge } from '../../ui';

type Stage = ModelVersionDto['stage'];

/** The lifecycle's moves (libs/models/src/domain/lifecycle.ts), as actions, with the least role for each. */
const ACTIONS: Record<Stage, { to: Stage; label: string; role: Role }[]> = {
  draft: [
    { to: 'staging', label: 'Promote to staging', role: 'ml-engineer' },
    { to: 'retired', label: 'Retire', role: 'admin' },
  ],
  staging: [
    { to: 'production', label: 'Promote to production', role: 'ml-engineer' },
    { to: 'retired', label: 'Retire', role: 'admin' },
  ],
  production: [{ to: 'deprecated', label: 'Deprecate', role: 'ml-engineer' }],
  deprecated: [
    { to: 'production', label: 'Roll back to production', role: 'ml-engineer' },
    { to: 'retired', label: 'Retire', role: 'admin' },
  ],
  retired: [],
};

export function ModelPage() {
  const { name = '' } = useParams();
  const session = useSession();
  const { client } = session;
  const [params, setParams] = useSearchParams();

  const model = useQuery({ queryKey: ['model', name], queryFn: ({ signal }) => client.models.get(name, { signal }) });
  const versions = useQuery({
    queryKey: ['versions', name],
    queryFn: ({ signal }) => client.versions.list(name, { limit: 100 }, { signal }),
  });

  if (model.isPending) return <Loading label="Loading the model" />;
  if (model.isError) return <ErrorNotice error={model.error} title={`Could not load the model ${name}`} />;
  const m = model.data;
  const items = versions.data?.items ?? [];
  const requested = Number(params.get('version'));
  const selected =
    items.find((v) => v.version === requested) ??
    items.find((v) => v.version === m.productionVersion) ??
    items.find((v) => v.version === m.latestVersion) ??
    items[0];

  return (
    <section aria-labelledby="page-title">
      <p className="crumbs">
        <Link to="/models">Models</Link> / {m.name}
      </p>
      <div className="page-head">
        <h1 id="page-title">{m.name}</h1>
        {session.can('ml-engineer') && (
          <UploadVersion model={m.name} onUploaded={(v) => setParams({ version: String(v.version) }, { replace: true })} />
        )}
      </div>
      <dl className="facts">
        <div>
          <dt>Task</dt>
          <dd>{m.task ?? '—'}</dd>
        </div>
        <div>
          <dt>Tags</dt>
          <dd>{m.tags.length ? m.tags.join(', ') : '—'}</dd>
        </div>
        <div>
          <dt>Production version</dt>
          <dd>{m.productionVersion !== null ? `v${m.productionVersion}` : '—'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDate(m.createdAt)}</dd>
        </div>
        <RequireApproval model={m.name} required={m.requireApproval} />
      </dl>
      {m.description && <p>{m.description}</p>}
      <PendingPromotions model={m.name} />

      <h2>Versions</h2>
      {versions.isPending ? (
        <Loading label="Loading the versions" />
      ) : versions.isError ? (
        <ErrorNotice error={versions.error} title="Could not load the versions" />
      ) : items.length === 0 ? (
        <Empty>
          <p>
            This model has no version yet.{' '}
            {session.can('ml-engineer')
              ? 'Upload one (a TensorFlow.js model.json with its weights, or an archive), or train one.'
              : 'ML engineers upload or train versions.'}
          </p>
        </Empty>
      ) : (
        <div className="split">
          <table className="table versions">
            <caption className="visually-hidden">Versions of {m.name}</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Stage</th>
                <th scope="col">Created</th>
                <th scope="col">Size</th>
              </tr>
            </thead>
            <tbody>
              {[...items]
                .sort((a, b) => b.version - a.version)
                .map((v) => (
                  <tr key={v.version} className={v.version === selected?.version ? 'selected' : undefined}>
                    <th scope="row">
                      <Link
                        to={`?version=${v.version}`}
                        aria-current={v.version === selected?.version ? 'true' : undefined}
                        onClick={(e) => {
                          e.preventDefault();
                          setParams({ version: String(v.version) }, { replace: true });
                        }}
                      >
                        v{v.version}
                      </Link>
                    </th>
                    <td>
                      <StageBadge stage={v.stage} />
                    </td>
                    <td>
                      <time dateTime={v.createdAt}>{new Date(v.createdAt).toLocaleDateString()}</time>
                      <div className="muted small">{v.createdBy}</div>
                    </td>
                    <td>{formatBytes(v.sizeBytes)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
          {selected && <VersionDetails session={session} version={selected} requireApproval={m.requireApproval} />}
        </div>
      )}
      {selected && session.can('ml-engineer') && <DriftPanel key={`drift-${m.name}:${selected.version}`} version={selected} />}
      {items.length > 0 && <Rollout model={m.name} versions={items} />}
    </section>
  );
}

function VersionDetails({
  session,
  version: v,
  requireApproval,
}: {
  session: Session;
  version: ModelVersionDto;
  requireApproval: boolean;
}) {
  const actions = ACTIONS[v.stage].filter((a) => session.can(a.role));
  // A trained version's report is shown by EvaluationReport, not as one JSON figure.
  const metrics = Object.entries(v.metrics).filter(([k]) => k !== 'report');
  return (
    <article className="card version" aria-labelledby="version-title">
      <div className="page-head">
        <h2 id="version-title">
          Version {v.version} <StageBadge stage={v.stage} />
        </h2>
        {actions.length > 0 && (
          <div className="actions" role="group" aria-label="Stage actions">
            {actions.map((a) => (
              <TransitionAction
                key={a.to}
                model={v.model}
                version={v.version}
                action={a}
                signatureChanges={a.to === 'production' ? v.signatureChanges : []}
                requireApproval={requireApproval}
              />
            ))}
          </div>
        )}
      </div>
      {v.description && <p>{v.description}</p>}
      <dl className="facts">
        <div>
          <dt>Created by</dt>
          <dd>{v.createdBy}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDate(v.createdAt)}</dd>
        </div>
        <div>
          <dt>Framework</dt>
          <dd>{v.framework}</dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>{formatBytes(v.sizeBytes)}</dd>
        </div>
        {v.deprecatedAt && (
          <div>
            <dt>Deprecated</dt>
            <dd>{formatDate(v.deprecatedAt)}</dd>
          </div>
        )}
        {v.sunsetAt && (
          <div>
            <dt>Sunset</dt>
            <dd>{formatDate(v.sunsetAt)}</dd>
          </div>
        )}
        {v.successorVersion !== null && (
          <div>
            <dt>Superseded by</dt>
            <dd>
              <Link to={`?version=${v.successorVersion}`}>v{v.successorVersion}</Link>
            </dd>
          </div>
        )}
      </dl>
      <p className="sha">
        <span className="muted">sha256 </span>
        <code>{v.sha256}</code>
      </p>
      <Lineage session={session} version={v} />
      {v.stage === 'deprecated' && <Sunset key={`sunset-${v.model}:${v.version}`} version={v} />}

      <h3>Metrics</h3>
      {metrics.length ? (
        <dl className="facts">
          {metrics.map(([k, value]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{typeof value === 'number' ? Number(value.toPrecision(6)) : JSON.stringify(value)}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="muted">No metrics were recorded.</p>
      )}
      <EvaluationReport report={v.metrics.report} stop={stopFactsOf(v.metrics)} level={3} />

      <h3>Signature</h3>
      {v.signatureChanges.length > 0 && <SignatureChanges changes={v.signatureChanges} />}
      <table className="table compact">
        <caption className="visually-hidden">Inputs and outputs</caption>
        <thead>
          <tr>
            <th scope="col">Tensor</th>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Shape</th>
          </tr>
        </thead>
        <tbody>
          {[...v.inputs.map((t) => ['input', t] as const), ...v.outputs.map((t) => ['output', t] as const)].map(([kind, t]) => (
            <tr key={`${kind}-${t.name}`}>
              <td>{kind}</td>
              <td>
                <code>{t.name}</code>
              </td>
              <td>{t.datatype}</td>
              <td>[{t.shape.join(', ')}]</td>
            </tr>
          ))}
        </tbody>
      </table>
      {v.labels && (
        <p>
          <span className="muted">Labels: </span>
          {v.labels.join(', ')}
        </p>
      )}

      {v.stage !== 'retired' && (v.stage !== 'draft' || session.can('ml-engineer')) && (
        <TryIt key={`try-${v.model}:${v.version}`} version={v} />
      )}

      <h3>History</h3>
      <Timeline session={session} model={v.model} version={v.version} />
    </article>
  );
}

/** Where a version came from: the training job and dataset that made it, or the version it was quantized from. */
function Lineage({ session, version: v }: { session: Session; version: ModelVersionDto }) {
  const source = v.source ?? {};
  const job = typeof source.trainingJobId === 'string' ? source.trainingJobId : undefined;
  const dataset = typeof source.datasetId === 'string' ? source.datasetId : undefined;
  const from = typeof source.quantizedFromVersion === 'number' ? source.quantizedFromVersion : undefined;
  if (!job && !dataset && from === undefined) return null;
  // Training pages are for ML engineers: others see the ids without a link they could not follow.
  const linkTo = (to: string, text: string) => (session.can('ml-engineer') ? <Link to={to}>{text}</Link> : <code>{text}</code>);
  return (
    <dl className="facts lineage" aria-label="Lineage">
      {job && (
        <div>
          <dt>Training job</dt>
          <dd>{linkTo(`/training/jobs/${job}`, job.slice(0, 8))}</dd>
        </div>
      )}
      {dataset && (
        <div>
          <dt>Dataset</dt>
          <dd>{linkTo(`/training/datasets/${dataset}`, dataset.slice(0, 8))}</dd>
        </div>
      )}
      {from !== undefined && (
        <div>
          <dt>Quantized from</dt>
          <dd>
            <Link to={`?version=${from}`}>v{from}</Link> ({String(source.dtype ?? '')})
          </dd>
        </div>
      )}
    </dl>
  );
}

function Timeline({ session, model, version }: { session: Session; model: string; version: number }) {
  const history = useQuery({
    queryKey: ['transitions', model, version],
    queryFn: async ({ signal }) => {
      return dataOf(listModelVersionTransitions({ client: session.client.api, path: { name: model, version }, signal }));
    },
  });
  if (history.isPending) return <Loading label="Loading the history" />;
  if (history.isError) return <ErrorNotice error={history.error} title="Could not load the history" />;
  return (
    <ol className="timeline" aria-label={`Stage history of version ${version}`}>
      {[...history.data].reverse().map((t, i) => (
        <li key={`${t.at}-${i}`}>
          <div>
            {t.from ? (
              <>
                <StageBadge stage={t.from} /> → <StageBadge stage={t.to} />
              </>
            ) : (
              <>
                created as <StageBadge stage={t.to} />
              </>
            )}
          </div>
          <div className="muted small">
            {t.actor} · <time dateTime={t.at}>{formatDate(t.at)}</time>
          </div>
          {t.reason && <blockquote className="reason">{t.reason}</blockquote>}
        </li>
      ))}
    </ol>
  );
}
