import type { ShadowTally } from './shadow-comparison';

/** A shadow run's figures summed over every replica's writes (and every production version it was compared with). */
export interface ShadowRunFigures {
  /** The production version of the latest write; null before any. */
  baselineVersion: number | null;
  requests: number;
  errors: number;
  rowsClassified: number;
  rowsAgreeing: number;
  valuesCompared: number;
  absDiffSum: number;
  shadowLatencyCounts: number[];
  baselineLatencyCounts: number[];
}

/** Shadow figures: one row per run and production version, added to by each write of any replica. */
export abstract class ShadowComparisonsRepository {
  /** Adds a tally to its run's row (creating it). */
  abstract add(tally: ShadowTally): Promise<void>;
  /** The figures of one run: a shadow version since it was set. */
  abstract figures(modelId: string, shadowVersion: number, since: Date): Promise<ShadowRunFigures>;
  /** Drops the rows of the model's earlier runs: only the current run is ever reported. */
  abstract deleteRunsBefore(modelId: string, since: Date): Promise<void>;
}
