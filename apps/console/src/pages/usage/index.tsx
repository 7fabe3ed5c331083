import type { AreaRoute } from '../../area';
import { NotYetPage } from '../NotYetPage';

export const usageRoutes: AreaRoute[] = [{ path: 'usage', element: <NotYetPage title="Usage" />, role: 'admin' }];
