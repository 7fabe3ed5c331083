import { lazy } from 'react';
import type { AreaRoute } from '../../area';
import { Lazy } from './Lazy';

// Only ML engineers and admins open these pages: their code is split out of the initial bundle.
const TrainingPage = lazy(() => import('./TrainingPage').then((m) => ({ default: m.TrainingPage })));
const DatasetPage = lazy(() => import('./DatasetPage').then((m) => ({ default: m.DatasetPage })));
const NewJobPage = lazy(() => import('./NewJobPage').then((m) => ({ default: m.NewJobPage })));
const JobPage = lazy(() => import('./JobPage').then((m) => ({ default: m.JobPage })));

/** The Training area (ML engineers and admins): datasets, training jobs, and each job followed live. */
export const trainingRoutes: AreaRoute[] = [
  {
    path: 'training',
    element: (
      <Lazy>
        <TrainingPage />
      </Lazy>
    ),
    role: 'ml-engineer',
  },
  {
    path: 'training/datasets/:id',
    element: (
      <Lazy>
        <DatasetPage />
      </Lazy>
    ),
    role: 'ml-engineer',
  },
  // A static segment: react-router ranks it above `training/jobs/:id`.
  {
    path: 'training/jobs/new',
    element: (
      <Lazy>
        <NewJobPage />
      </Lazy>
    ),
    role: 'ml-engineer',
  },
  {
    path: 'training/jobs/:id',
    element: (
      <Lazy>
        <JobPage />
      </Lazy>
    ),
    role: 'ml-engineer',
  },
];
