import type { ReactElement } from 'react';
import type { Role } from './session';

/** One page of an area of the console, mounted under the signed-in layout by App. */
export interface AreaRoute {
  /** Relative to /console/, e.g. `training/jobs/:id`. */
  path: string;
  element: ReactElement;
  /** The least role that may open it; anyone else is sent to the models without a request. */
  role: Role;
}
