import { Baseline1764000000000 } from './1764000000000-baseline';

/** Every migration, in order. Listed explicitly so that tsc output, jest and the CLI agree. */
export const MIGRATIONS = [Baseline1764000000000];
