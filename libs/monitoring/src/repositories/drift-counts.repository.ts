import type { DriftFigures } from '../domain/drift-tally';

/** A minute of one version's counts, as a replica adds it. */
export interface DriftCountsDelta extends DriftFigures {
  versionId: string;
  revision: number;
  minute: Date;
}

/** Served rows counted into profile bins, one row per version, profile revision and minute, summed across replicas. */
export abstract class DriftCountsRepository {
  /** Adds each delta to its minute's row (creating it); one statement per delta. */
  abstract add(deltas: DriftCountsDelta[]): Promise<void>;
  /** The sums over the minutes from `since` on (zeros and empty arrays when none). */
  abstract sum(versionId: string, revision: number, since: Date): Promise<DriftFigures>;
  /** Deletes the minutes before `before`; how many rows went. */
  abstract deleteBefore(before: Date): Promise<number>;
}
