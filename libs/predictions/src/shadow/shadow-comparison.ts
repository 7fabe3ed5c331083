import type { OutputColumns } from '@app/inference';

/** How one request's shadow outputs compare with production's. */
export interface OutputComparison {
  /** Rows whose first output is a vector of more than one number (a classifier's scores). */
  rowsClassified: number;
  /** Of those, rows whose highest score is at the same index in both. */
  rowsAgreeing: number;
  /** Numbers compared (every output, every row, every value present in both). */
  valuesCompared: number;
  /** Sum of |shadow − production| over them. */
  absDiffSum: number;
}

function argmax(row: readonly (number | string)[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
  return best;
}

const numeric = (row: readonly (number | string)[]) => row.every((v) => typeof v === 'number');

/**
 * Agreement is judged on the first output only, and only where it looks like class scores (more
 * than one number a row): a regressor's single value has no "top class". Values compare position by
 * position; strings are not numbers to subtract and are left out.
 */
export function compareOutputs(baseline: OutputColumns, shadow: OutputColumns): OutputComparison {
  const result: OutputComparison = { rowsClassified: 0, rowsAgreeing: 0, valuesCompared: 0, absDiffSum: 0 };
  const first = baseline[0] ?? [];
  for (let r = 0; r < first.length; r++) {
    const b = first[r];
    const s = shadow[0]?.[r];
    if (!s || b.length < 2 || !numeric(b) || !numeric(s) || s.length !== b.length) continue;
    result.rowsClassified++;
    if (argmax(b) === argmax(s)) result.rowsAgreeing++;
  }
  for (let o = 0; o < baseline.length; o++) {
    for (let r = 0; r < baseline[o].length; r++) {
      const b = baseline[o][r];
      const s = shadow[o]?.[r] ?? [];
      for (let i = 0; i < Math.min(b.length, s.length); i++) {
        if (typeof b[i] !== 'number' || typeof s[i] !== 'number') continue;
        result.valuesCompared++;
        result.absDiffSum += Math.abs((s[i] as number) - (b[i] as number));
      }
    }
  }
  return result;
}

/**
 * Latencies are kept as counts per bucket, not one by one, so a shadow run's figures stay the same
 * size whatever its traffic and add up across replicas. Buckets grow by 5 % from 0.01 ms (the first
 * also takes anything faster, the last anything slower than ~2 min): a percentile is reported as its
 * bucket's geometric middle, within ~2.5 % of the true value.
 */
const LOWEST_MS = 0.01;
const GROWTH = 1.05;
export const LATENCY_BUCKETS = 340;

export function latencyBucket(ms: number): number {
  if (!(ms > LOWEST_MS)) return 0;
  return Math.min(LATENCY_BUCKETS - 1, Math.floor(Math.log(ms / LOWEST_MS) / Math.log(GROWTH)));
}

export function emptyHistogram(): number[] {
  return new Array<number>(LATENCY_BUCKETS).fill(0);
}

/** The q-quantile (nearest rank) of the counted latencies, as its bucket's middle; null when none. */
export function histogramPercentile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) return LOWEST_MS * GROWTH ** (i + 0.5);
  }
  return null;
}

/** Adds histograms of any lengths element by element (rows written with another bucket count still add up). */
export function addHistograms(a: readonly number[], b: readonly number[]): number[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) + (b[i] ?? 0));
}

/** One shadow run's figures gathered between two writes: what is added to its shadow_comparisons row. */
export interface ShadowTally extends OutputComparison {
  modelId: string;
  shadowVersion: number;
  shadowSince: Date;
  baselineVersion: number;
  requests: number;
  errors: number;
  shadowLatencyCounts: number[];
  baselineLatencyCounts: number[];
}

export function emptyTally(key: Pick<ShadowTally, 'modelId' | 'shadowVersion' | 'shadowSince' | 'baselineVersion'>): ShadowTally {
  return {
    ...key,
    requests: 0,
    errors: 0,
    rowsClassified: 0,
    rowsAgreeing: 0,
    valuesCompared: 0,
    absDiffSum: 0,
    shadowLatencyCounts: emptyHistogram(),
    baselineLatencyCounts: emptyHistogram(),
  };
}

/** Adds one mirrored request: its comparison, or null when the shadow failed on it. */
export function addToTally(
  tally: ShadowTally,
  baselineMs: number,
  outcome: { comparison: OutputComparison; shadowMs: number } | null,
): void {
  tally.requests++;
  tally.baselineLatencyCounts[latencyBucket(baselineMs)]++;
  if (!outcome) {
    tally.errors++;
    return;
  }
  tally.shadowLatencyCounts[latencyBucket(outcome.shadowMs)]++;
  tally.rowsClassified += outcome.comparison.rowsClassified;
  tally.rowsAgreeing += outcome.comparison.rowsAgreeing;
  tally.valuesCompared += outcome.comparison.valuesCompared;
  tally.absDiffSum += outcome.comparison.absDiffSum;
}
