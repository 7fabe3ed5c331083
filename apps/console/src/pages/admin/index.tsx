import { Component, lazy, type ReactNode, Suspense } from 'react';
import type { AreaRoute } from '../../area';
import { ErrorNotice, Loading } from '../../ui';

// Only admins ever load these pages: they are split out of the initial bundle.
const UsersPage = lazy(() => import('./UsersPage').then((m) => ({ default: m.UsersPage })));
const ApiKeysPage = lazy(() => import('./ApiKeysPage').then((m) => ({ default: m.ApiKeysPage })));
const AuditPage = lazy(() => import('./AuditPage').then((m) => ({ default: m.AuditPage })));

/** A page's code failed to load (offline, or a newer console was deployed meanwhile): say so instead of a blank screen. */
class LoadFailure extends Component<{ children: ReactNode }, { error?: unknown }> {
  state: { error?: unknown } = {};
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  render() {
    if (this.state.error === undefined) return this.props.children;
    return (
      <>
        <ErrorNotice error={this.state.error} title="This page could not be loaded" />
        <p>Reload the page to try again.</p>
      </>
    );
  }
}

function Lazy({ children }: { children: ReactNode }) {
  return (
    <LoadFailure>
      <Suspense fallback={<Loading label="Loading the page" />}>{children}</Suspense>
    </LoadFailure>
  );
}

export const adminRoutes: AreaRoute[] = [
  {
    path: 'users',
    element: (
      <Lazy>
        <UsersPage />
      </Lazy>
    ),
    role: 'admin',
  },
  {
    path: 'api-keys',
    element: (
      <Lazy>
        <ApiKeysPage />
      </Lazy>
    ),
    role: 'admin',
  },
  {
    path: 'audit',
    element: (
      <Lazy>
        <AuditPage />
      </Lazy>
    ),
    role: 'admin',
  },
];
