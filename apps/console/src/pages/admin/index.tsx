import type { AreaRoute } from '../../area';
import { NotYetPage } from '../NotYetPage';

export const adminRoutes: AreaRoute[] = [
  { path: 'users', element: <NotYetPage title="Users" />, role: 'admin' },
  { path: 'api-keys', element: <NotYetPage title="API keys" />, role: 'admin' },
  { path: 'audit', element: <NotYetPage title="Audit" />, role: 'admin' },
];
