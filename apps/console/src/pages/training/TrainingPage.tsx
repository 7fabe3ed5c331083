import { Link } from 'react-router';
import { DatasetsTable } from './DatasetsTable';
import { DatasetUpload } from './DatasetUpload';
import { JobsTable } from './JobsTable';
import './training.css';

/** The Training area's home: training jobs, and the datasets they train on. */
export function TrainingPage() {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Training</h1>

      <section className="training-section" aria-labelledby="jobs-title">
        <div className="page-head">
          <h2 id="jobs-title">Jobs</h2>
          <Link className="button button-primary" to="/training/jobs/new">
            New training job
          </Link>
        </div>
        <JobsTable />
      </section>

      <section className="training-section" aria-labelledby="datasets-title">
        <div className="page-head">
          <h2 id="datasets-title">Datasets</h2>
        </div>
        <div className="training-grid">
          <DatasetUpload />
          <DatasetsTable />
        </div>
      </section>
    </section>
  );
}
