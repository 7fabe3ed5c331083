import type { AreaRoute } from '../../area';
import { NotYetPage } from '../NotYetPage';

export const trainingRoutes: AreaRoute[] = [{ path: 'training', element: <NotYetPage title="Training" />, role: 'ml-engineer' }];
