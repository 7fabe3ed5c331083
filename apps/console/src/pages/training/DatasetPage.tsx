import { type DatasetDto, dataOf, deleteDataset, getDataset } from '@modelgate/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { useSession } from '../../session';
import { ErrorNotice, formatBytes, formatDate, Loading } from '../../ui';
import { keys } from './jobs';
import { JobsTable } from './JobsTable';
import { ConfirmAction } from './TrainingUi';
import './training.css';

export function DatasetPage() {
  const { id = '' } = useParams();
  const { client } = useSession();
  const queries = useQueryClient();
  const navigate = useNavigate();

  const dataset = useQuery({
    queryKey: keys.dataset(id),
    queryFn: () => dataOf(getDataset({ client: client.api, path: { id } })),
  });
  const remove = useMutation({
    mutationFn: async () => {
      await dataOf(deleteDataset({ client: client.api, path: { id } }));
    },
    // The dataset's own query is left to expire: removing it while this page still shows it would refetch it (a 404).
    onSuccess: () => queries.invalidateQueries({ queryKey: keys.datasets }),
  });

  if (dataset.isPending) return <Loading label="Loading the dataset" />;
  if (dataset.isError) {
    return (
      <section aria-labelledby="page-title">
        <p className="crumbs">
          <Link to="/training">Training</Link> / dataset
        </p>
        <h1 id="page-title">Dataset</h1>
        <ErrorNotice error={dataset.error} title="Could not load the dataset" />
      </section>
    );
  }
  const d = dataset.data;

  return (
    <section aria-labelledby="page-title">
      <p className="crumbs">
        <Link to="/training">Training</Link> / datasets / {d.name}
      </p>
      <div className="page-head">
        <h1 id="page-title">{d.name}</h1>
        <div className="actions">
          <Link className="button button-primary" to={`/training/jobs/new?dataset=${d.id}`}>
            Train a model on it
          </Link>
          <ConfirmAction
            label="Delete"
            title={`Delete the dataset ${d.name}?`}
            confirmLabel="Delete the dataset"
            mutation={remove}
            onDone={() => navigate('/training', { replace: true })}
          >
            <p>
              Its file is removed. Jobs that trained on it keep its id and sha256 as lineage. A dataset a queued or running job uses cannot
              be deleted.
            </p>
          </ConfirmAction>
        </div>
      </div>
      <dl className="facts">
        <div>
          <dt>Rows</dt>
          <dd>{d.rows}</dd>
        </div>
        <div>
          <dt>Columns</dt>
          <dd>{d.columns.length}</dd>
        </div>
        <div>
          <dt>Format</dt>
          <dd>{d.format === 'csv' ? 'CSV' : 'JSON lines'}</dd>
        </div>
        <div>
          <dt>Size</dt>
          <dd>{formatBytes(d.sizeBytes)}</dd>
        </div>
        <div>
          <dt>Uploaded by</dt>
          <dd>{d.createdBy}</dd>
        </div>
        <div>
          <dt>Uploaded</dt>
          <dd>{formatDate(d.createdAt)}</dd>
        </div>
      </dl>
      <p className="sha small">
        <span className="muted">sha256 </span>
        <code>{d.sha256}</code>
      </p>

      <h2>Columns</h2>
      <ColumnTypes dataset={d} />

      <h2>Training jobs on this dataset</h2>
      <JobsTable datasetId={d.id} />
    </section>
  );
}

/** A dataset's columns with the types the server inferred. */
export function ColumnTypes({ dataset }: { dataset: DatasetDto }) {
  return (
    <table className="table compact columns">
      <caption className="visually-hidden">Columns of {dataset.name} and their inferred types</caption>
      <thead>
        <tr>
          <th scope="col">Column</th>
          <th scope="col">Type</th>
        </tr>
      </thead>
      <tbody>
        {dataset.columns.map((c) => (
          <tr key={c.name}>
            <th scope="row">
              <code>{c.name}</code>
            </th>
            <td>
              <span className="type">{c.type}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
