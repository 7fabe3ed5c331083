import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Button } from 'react-aria-components';
import { Link } from 'react-router';
import { useSession } from '../../session';
import { Empty, ErrorNotice, formatDate, Loading } from '../../ui';
import { isActive, keys, shortId } from './jobs';
import { useDatasetNames } from './DatasetsTable';
import { EpochProgress, JobStatusBadge } from './TrainingUi';

const PAGE_SIZE = 20;
/** Jobs looked through for those of one dataset (the API lists jobs, not jobs by dataset). */
const SCAN = 100;
/** How often the list is refreshed while a job in it is queued or running. */
const REFRESH_MS = 2000;

/** Training jobs, newest first; refreshed while any of them is queued or running. With `datasetId`, that dataset's only. */
export function JobsTable({ datasetId }: { datasetId?: string }) {
  const { client } = useSession();
  const [offset, setOffset] = useState(0);
  const query = datasetId ? { limit: SCAN, offset: 0 } : { limit: PAGE_SIZE, offset };
  const jobs = useQuery({
    queryKey: [...keys.jobs, query],
    // No abort signal (here and in the area's other queries): a refresh still under way when a page is left is let
    // finish rather than cut off, which the browser would report as a failed request.
    queryFn: () => client.trainingJobs.list(query),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((j) => isActive(j.status)) ? REFRESH_MS : false),
  });
  const names = useDatasetNames();

  if (jobs.isPending) return <Loading label="Loading the training jobs" />;
  if (jobs.isError) return <ErrorNotice error={jobs.error} title="Could not load the training jobs" />;
  const items = datasetId ? jobs.data.items.filter((j) => j.datasetId === datasetId) : jobs.data.items;
  const page = jobs.data.page;
  if (items.length === 0) {
    return (
      <Empty>
        <p>
          {datasetId ? 'No training job has used this dataset yet.' : 'No training job yet. Upload a dataset, then train a model on it.'}
        </p>
      </Empty>
    );
  }

  return (
    <>
      <table className="table jobs">
        <caption className="visually-hidden">{datasetId ? 'Training jobs on this dataset' : 'Training jobs'}</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Status</th>
            <th scope="col">Model</th>
            {!datasetId && <th scope="col">Dataset</th>}
            <th scope="col">Progress</th>
            <th scope="col">Created</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody>
          {items.map((j) => (
            <tr key={j.id}>
              <th scope="row">
                <Link to={`/training/jobs/${j.id}`} aria-label={`Job ${shortId(j.id)} (${j.modelName})`}>
                  <code>{shortId(j.id)}</code>
                </Link>
              </th>
              <td>
                <JobStatusBadge status={j.status} />
              </td>
              <td>
                {j.modelVersion !== null ? (
                  <Link to={`/models/${encodeURIComponent(j.modelName)}?version=${j.modelVersion}`}>
                    {j.modelName} v{j.modelVersion}
                  </Link>
                ) : (
                  j.modelName
                )}
                <div className="muted small">{j.task}</div>
              </td>
              {!datasetId && (
                <td>
                  <Link to={`/training/datasets/${j.datasetId}`}>{names.get(j.datasetId) ?? shortId(j.datasetId)}</Link>
                </td>
              )}
              <td>
                <EpochProgress epoch={j.progress.epoch} epochs={j.progress.epochs} label={`Progress of job ${shortId(j.id)}`} />
                <span className="small">
                  {j.progress.epoch}/{j.progress.epochs}
                </span>
              </td>
              <td>{formatDate(j.createdAt)}</td>
              <td>{formatDate(j.finishedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {datasetId
        ? page.total > SCAN && <p className="muted small">Looked through the latest {SCAN} jobs only.</p>
        : page.total > PAGE_SIZE && (
            <nav className="pager" aria-label="Pages of training jobs">
              <Button className="button" isDisabled={offset === 0} onPress={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
                Previous
              </Button>
              <span aria-live="polite">
                {offset + 1}–{Math.min(offset + PAGE_SIZE, page.total)} of {page.total}
              </span>
              <Button className="button" isDisabled={offset + PAGE_SIZE >= page.total} onPress={() => setOffset(offset + PAGE_SIZE)}>
                Next
              </Button>
            </nav>
          )}
    </>
  );
}
