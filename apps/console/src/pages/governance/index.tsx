import { lazy, Suspense } from 'react';
import type { AreaRoute } from '../../area';
import { Loading } from '../../ui';

// Engineers' pages: split out of the initial bundle, loaded when opened.
const ApprovalsPage = lazy(() => import('./ApprovalsPage').then((m) => ({ default: m.ApprovalsPage })));
const SunsetsPage = lazy(() => import('./SunsetsPage').then((m) => ({ default: m.SunsetsPage })));

export const governanceRoutes: AreaRoute[] = [
  {
    path: 'approvals',
    element: (
      <Suspense fallback={<Loading label="Loading the approvals" />}>
        <ApprovalsPage />
      </Suspense>
    ),
    role: 'ml-engineer',
  },
  {
    path: 'sunsets',
    element: (
      <Suspense fallback={<Loading label="Loading the sunsets" />}>
        <SunsetsPage />
      </Suspense>
    ),
    role: 'ml-engineer',
  },
];
