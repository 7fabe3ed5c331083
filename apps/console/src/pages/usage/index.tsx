import { lazy, Suspense } from 'react';
import type { AreaRoute } from '../../area';
import { Loading } from '../../ui';

// The page (and, later still, its chart library) is downloaded when an admin opens it.
const UsagePage = lazy(() => import('./UsagePage'));

export const usageRoutes: AreaRoute[] = [
  {
    path: 'usage',
    element: (
      <Suspense fallback={<Loading label="Loading usage" />}>
        <UsagePage />
      </Suspense>
    ),
    role: 'admin',
  },
];
