import type { EpochRecordDto, TrainingJobDto, TrainingProgress } from '@modelgate/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useSession } from '../../session';
import { EvaluationReport, stopFactsOf } from '../models/EvaluationReport';
import { jobEvents } from './events';
import { ErrorNotice, formatDate, Loading } from '../../ui';
import { useDatasetNames } from './DatasetsTable';
import { Lazy } from './Lazy';
import { addProgress, chartsFor, formatMetric, isActive, keys, logFromJob, shortId } from './jobs';
import { ConfirmAction, EpochProgress, JobStatusBadge } from './TrainingUi';
import './training.css';

// uPlot is loaded with the chart, on a job's page only: not in the console's initial bundle.
const TrainingChart = lazy(() => import('./TrainingChart'));

/** How often the job is polled when its event stream could not be followed. */
const POLL_MS = 3000;

export function JobPage() {
  const { id = '' } = useParams();
  // A page per job: its live state starts over when the address names another job.
  return <JobView key={id} id={id} />;
}

/**
 * Follows a job live: its history (GET) first, then the `progress` events of its stream, until the
 * `status` event, after which the job is fetched again for its final state.
 */
function useLiveJob(id: string) {
  const { client } = useSession();
  const queries = useQueryClient();
  const [events, setEvents] = useState<TrainingProgress[]>([]);
  const [streamError, setStreamError] = useState<unknown>(null);
  // Set once the job is seen queued or running, and kept: a job that ends (or is cancelled) while
  // followed ends its stream itself, with its `status` event; closing it early would lose that.
  const [following, setFollowing] = useState(false);

  const job = useQuery({
    queryKey: keys.job(id),
    queryFn: () => client.trainingJobs.get(id),
    refetchInterval: (q) => (streamError !== null && q.state.data && isActive(q.state.data.status) ? POLL_MS : false),
  });
  if (!following && job.data && isActive(job.data.status)) setFollowing(true);

  useEffect(() => {
    if (!following) return;
    const controller = new AbortController();
    void (async () => {
      try {
        for await (const event of jobEvents(client, id, controller.signal)) {
          if (event.type === 'progress') {
            setEvents((list) => [...list, event.data]);
          } else {
            queries.setQueryData(keys.job(id), event.data);
            await Promise.all([
              queries.invalidateQueries({ queryKey: keys.job(id) }),
              queries.invalidateQueries({ queryKey: keys.jobs }),
              queries.invalidateQueries({ queryKey: ['models'] }),
            ]);
          }
        }
      } catch (error) {
        if (!controller.signal.aborted) setStreamError(error);
      }
    })();
    return () => controller.abort();
  }, [following, id, client, queries]);

  const log = useMemo(() => (job.data ? events.reduce(addProgress, logFromJob(job.data)) : undefined), [job.data, events]);
  const lastEvent = events.at(-1);
  return { job, records: log?.records ?? [], epochs: lastEvent?.epochs ?? job.data?.progress.epochs ?? 0, streamError };
}

function JobView({ id }: { id: string }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const names = useDatasetNames();
  const { job, records, epochs, streamError } = useLiveJob(id);
  const cancel = useMutation({
    mutationFn: () => client.trainingJobs.cancel(id),
    onSuccess: (j) => {
      queries.setQueryData(keys.job(id), j);
      return queries.invalidateQueries({ queryKey: keys.jobs });
    },
  });

  const crumbs = (
    <p className="crumbs">
      <Link to="/training">Training</Link> / jobs / {shortId(id)}
    </p>
  );
  if (job.isPending) return <Loading label="Loading the training job" />;
  if (job.isError) {
    return (
      <section aria-labelledby="page-title">
        {crumbs}
        <h1 id="page-title">Training job</h1>
        <ErrorNotice error={job.error} title="Could not load the training job" />
      </section>
    );
  }
  const j = job.data;
  // The first epochs can arrive before the job is fetched again: it runs from then on.
  const status = j.status === 'queued' && records.length > 0 ? 'running' : j.status;
  const done = Math.max(records.at(-1)?.epoch ?? 0, j.progress.epoch);

  return (
    <section aria-labelledby="page-title">
      {crumbs}
      <div className="page-head">
        <h1 id="page-title">
          Training {j.modelName} <JobStatusBadge status={status} />
        </h1>
        {isActive(j.status) && !j.cancelRequested && (
          <div className="actions">
            <ConfirmAction label="Cancel" title="Cancel this training job?" confirmLabel="Cancel the job" mutation={cancel}>
              <p>
                {status === 'queued'
                  ? 'It has not started: it is cancelled at once.'
                  : 'It stops within one epoch and ends cancelled; no model version is registered.'}
              </p>
            </ConfirmAction>
          </div>
        )}
      </div>

      <p className="job-status" role="status" aria-live="polite">
        <span className="visually-hidden">Status: </span>
        {statusText(j, status, done, epochs)}
      </p>
      <EpochProgress epoch={done} epochs={epochs} />

      {streamError !== null && isActive(j.status) && (
        <ErrorNotice error={streamError} title="Live updates stopped; the page checks the job every few seconds instead" />
      )}
      {j.status === 'failed' && (
        <div className="notice notice-error" role="alert">
          <strong>The job failed</strong>
          <p>{j.error ?? 'No reason was recorded.'}</p>
        </div>
      )}
      {j.status === 'succeeded' && j.modelVersion !== null && (
        <div className="notice">
          <strong>Registered as a new version</strong>
          <p>
            <Link className="link-strong" to={`/models/${encodeURIComponent(j.modelName)}?version=${j.modelVersion}`}>
              {j.modelName} v{j.modelVersion}
            </Link>{' '}
            is in stage staging.
          </p>
        </div>
      )}

      <dl className="facts">
        <div>
          <dt>Model</dt>
          <dd>{j.modelName}</dd>
        </div>
        <div>
          <dt>Dataset</dt>
          <dd>
            <Link to={`/training/datasets/${j.datasetId}`}>{names.get(j.datasetId) ?? shortId(j.datasetId)}</Link>
          </dd>
        </div>
        <div>
          <dt>Task</dt>
          <dd>{j.task}</dd>
        </div>
        <div>
          <dt>Target</dt>
          <dd>{j.target}</dd>
        </div>
        <div>
          <dt>Features</dt>
          <dd>{j.features.join(', ')}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            {formatDate(j.createdAt)} <span className="muted small">by {j.createdBy}</span>
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatDate(j.startedAt)}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{formatDate(j.finishedAt)}</dd>
        </div>
      </dl>

      <h2>Per epoch</h2>
      <Lazy what="chart">
        <TrainingChart task={j.task} records={records} epochs={epochs} />
      </Lazy>
      <EpochTable task={j.task} records={records} />

      {j.metrics && (
        <>
          <h2>Final metrics</h2>
          <p className="muted small">Measured on the validation split; train… on the training split.</p>
          <dl className="facts metrics" aria-label="Final metrics">
            {Object.entries(j.metrics).map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{formatMetric(v)}</dd>
              </div>
            ))}
          </dl>
        </>
      )}

      {j.status === 'succeeded' && (
        <EvaluationReport
          report={j.report}
          stop={
            j.stoppedEpoch !== null && j.stopReason !== null
              ? { ...stopFactsOf({ ...j.metrics, stoppedEpoch: j.stoppedEpoch, stopReason: j.stopReason })!, epochs: j.progress.epochs }
              : undefined
          }
        />
      )}

      <h2>Settings</h2>
      <dl className="facts">
        {[...Object.entries(j.architecture), ...Object.entries(j.hyperparameters)].map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{formatSetting(v)}</dd>
          </div>
        ))}
        <div>
          <dt>attempts</dt>
          <dd>{j.attempts}</dd>
        </div>
      </dl>
    </section>
  );
}

/** A setting as resolved: lists in brackets, objects (earlyStopping, a classWeight map) as `key value` pairs. */
function formatSetting(v: unknown): string {
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'object' && v !== null)
    return Object.entries(v)
      .map(([k, x]) => `${k} ${formatMetric(x)}`)
      .join(', ');
  return formatMetric(v);
}

function statusText(j: TrainingJobDto, status: TrainingJobDto['status'], done: number, epochs: number): string {
  switch (status) {
    case 'queued':
      return j.cancelRequested ? 'Queued; cancelling.' : 'Queued: waiting for a free worker.';
    case 'running':
      return j.cancelRequested
        ? `Cancelling: it stops within one epoch (epoch ${done} of ${epochs}).`
        : `Running: epoch ${done} of ${epochs}.`;
    case 'succeeded':
      return j.stopReason === 'early-stopping'
        ? `Succeeded after ${done} of ${epochs} epochs: stopped early, the validation loss had stopped improving.`
        : `Succeeded after ${done} epochs.`;
    case 'failed':
      return `Failed after ${done} epochs.`;
    case 'cancelled':
      return `Cancelled after ${done} epochs.`;
  }
}

/** The chart's numbers, as a table (for screen readers, and for reading exact values). */
function EpochTable({ task, records }: { task: TrainingJobDto['task']; records: EpochRecordDto[] }) {
  const curves = chartsFor(task).flatMap((c) => [c.train, c.validation]);
  const caption = task === 'classification' ? 'Loss and accuracy per epoch' : 'Loss and MAE per epoch';
  return (
    <div className="epochs">
      <details>
        <summary>
          Numbers per epoch ({records.length} {records.length === 1 ? 'epoch' : 'epochs'})
        </summary>
        <div className="epochs-scroll" role="region" aria-label="Numbers per epoch" tabIndex={0}>
          <table className="table compact">
            <caption className="visually-hidden">{caption}</caption>
            <thead>
              <tr>
                <th scope="col" className="numeric">
                  Epoch
                </th>
                {curves.map((c) => (
                  <th key={c.key} scope="col" className="numeric">
                    {c.label}
                  </th>
                ))}
                <th scope="col" className="numeric">
                  Duration (ms)
                </th>
              </tr>
            </thead>
            <tbody>
              {records.map((r) => (
                <tr key={r.epoch}>
                  <th scope="row" className="numeric">
                    {r.epoch}
                  </th>
                  {curves.map((c) => (
                    <td key={c.key} className="numeric">
                      {formatMetric(r[c.key])}
                    </td>
                  ))}
                  <td className="numeric">{Math.round(r.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
