import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../session';
import { Empty, ErrorNotice, formatBytes, formatDate, Loading } from '../../ui';
import { keys } from './jobs';

/** Datasets listed at once (newest first): the area shows, and offers for training, this many. */
export const DATASETS_SHOWN = 100;

/** The caller's latest datasets (admins: everyone's), shared by the list, the job list and the new-job form. */
export function useDatasets() {
  const { client } = useSession();
  return useQuery({
    queryKey: [...keys.datasets, { limit: DATASETS_SHOWN }],
    queryFn: () => client.datasets.list({ limit: DATASETS_SHOWN }),
  });
}

/** Dataset id → name, for the datasets listed (others are shown by id). */
export function useDatasetNames(): Map<string, string> {
  const datasets = useDatasets();
  return useMemo(() => new Map((datasets.data?.items ?? []).map((d) => [d.id, d.name])), [datasets.data]);
}

export function DatasetsTable() {
  const datasets = useDatasets();
  if (datasets.isPending) return <Loading label="Loading the datasets" />;
  if (datasets.isError) return <ErrorNotice error={datasets.error} title="Could not load the datasets" />;
  const { items, page } = datasets.data;
  if (items.length === 0) {
    return (
      <Empty>
        <p>No dataset yet. Upload a CSV or JSON-lines file to train on.</p>
      </Empty>
    );
  }
  return (
    <>
      <table className="table datasets">
        <caption className="visually-hidden">Datasets</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" className="numeric">
              Rows
            </th>
            <th scope="col" className="numeric">
              Columns
            </th>
            <th scope="col" className="numeric">
              Size
            </th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id}>
              <th scope="row">
                <Link to={`/training/datasets/${d.id}`}>{d.name}</Link>
              </th>
              <td className="numeric">{d.rows}</td>
              <td className="numeric">{d.columns.length}</td>
              <td className="numeric">{formatBytes(d.sizeBytes)}</td>
              <td>
                {formatDate(d.createdAt)}
                <div className="muted small">{d.createdBy}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.total > items.length && (
        <p className="muted small">
          The latest {items.length} of {page.total} datasets.
        </p>
      )}
    </>
  );
}
