/**
 * A version's reference distribution: what the data it was trained on (or profiled with) looked
 * like, per input feature and for its predictions. Drift compares what serving sees with it.
 *
 * Bins are quantile bins of the reference data: `binEdges` holds the 0%, 10%, …, 100% quantiles
 * (bins + 1 edges: the reference's minimum and maximum are the outer ones) and `binShares` the
 * share of reference rows in each bin. When counting, the outer bins reach out to ±∞ (a served
 * value below the training minimum falls in the first bin), and a value equal to an edge falls in
 * the lower bin. Tied quantiles (an integer or binary feature) give empty bins, on both sides alike.
 */
export interface FeatureProfile {
  name: string;
  binEdges: number[];
  binShares: number[];
  mean: number;
  std: number;
}

/** The distribution of a version's predictions: class shares (classifiers) or value bins (one number per row). */
export type PredictionProfile =
  | { kind: 'classes'; classes: string[]; shares: number[] }
  | { kind: 'values'; binEdges: number[]; binShares: number[] };

export interface VersionProfile {
  features: FeatureProfile[];
  predictions: PredictionProfile | null;
  /** Rows the profile was computed from (null when the statistics were given directly). */
  rows: number | null;
}

export type ProfileSource = 'training' | 'dataset' | 'statistics';

/** The number of quantile bins every computed profile uses. */
export const PROFILE_BINS = 10;
/** PSI at or above which a feature is `warn` / `alert`. */
export const DRIFT_WARN_PSI = 0.1;
export const DRIFT_ALERT_PSI = 0.25;
/** Shares below this count as this in the PSI (an empty bin on one side would make it infinite). */
const PSI_FLOOR = 1e-4;

export type DriftStatus = 'ok' | 'warn' | 'alert';

export function driftStatus(psi: number): DriftStatus {
  if (psi >= DRIFT_ALERT_PSI) return 'alert';
  if (psi >= DRIFT_WARN_PSI) return 'warn';
  return 'ok';
}

/** Population stability index of `actual` against `expected` (both shares over the same bins). */
export function populationStabilityIndex(expected: readonly number[], actual: readonly number[]): number {
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], PSI_FLOOR);
    const a = Math.max(actual[i] ?? 0, PSI_FLOOR);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/**
 * The inner cut points of a profile's bins, whatever form its edges were given in: bins + 1 edges
 * (outer ones included), bins − 1 (inner cuts only) or one per bin (each bin's upper edge, the last
 * being the maximum). Anything else is not a valid profile (checked by `profileProblems`).
 */
export function cutsOf(binEdges: readonly number[], bins: number): Float64Array {
  if (binEdges.length === bins + 1) return Float64Array.from(binEdges.slice(1, -1));
  if (binEdges.length === bins) return Float64Array.from(binEdges.slice(0, -1));
  return Float64Array.from(binEdges);
}

/** The bin of `value` among `cuts` (ascending): the number of cuts below it. */
export function binOf(cuts: Float64Array, value: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The 0%, 1/bins, …, 100% quantiles of the values (linear interpolation, as numpy's default). */
export function quantileEdges(values: ArrayLike<number>, bins = PROFILE_BINS): number[] {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (!n) throw new RangeError('A profile needs at least one value.');
  const edges: number[] = [];
  for (let k = 0; k <= bins; k++) {
    const position = ((n - 1) * k) / bins;
    const below = Math.floor(position);
    const above = Math.min(below + 1, n - 1);
    edges.push(sorted[below] + (sorted[above] - sorted[below]) * (position - below));
  }
  return edges;
}

/** Shares of the values per bin of `binEdges` (bins + 1 edges). */
export function binShares(values: ArrayLike<number>, binEdges: readonly number[]): number[] {
  const bins = binEdges.length - 1;
  const cuts = cutsOf(binEdges, bins);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) counts[binOf(cuts, values[i])]++;
  return counts.map((c) => c / values.length);
}

/** One feature's profile from its reference values. */
export function profileFeature(name: string, values: ArrayLike<number>, bins = PROFILE_BINS): FeatureProfile {
  const binEdges = quantileEdges(values, bins);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  return { name, binEdges, binShares: binShares(values, binEdges), mean, std: Math.sqrt(squares / values.length) };
}

/** The prediction profile of a classifier: the share of rows whose highest score is each class. */
export function profileClasses(classes: readonly string[], predicted: ArrayLike<number>): PredictionProfile {
  const counts = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < predicted.length; i++) counts[predicted[i]]++;
  return { kind: 'classes', classes: [...classes], shares: counts.map((c) => c / Math.max(1, predicted.length)) };
}

/** The prediction profile of a model answering one number per row: its quantile bins. */
export function profileValues(values: ArrayLike<number>, bins = PROFILE_BINS): PredictionProfile {
  const binEdges = quantileEdges(values, bins);
  return { kind: 'values', binEdges, binShares: binShares(values, binEdges) };
}

/** Index of each row's highest score (rows of `width` values, flattened). */
export function argmaxRows(scores: ArrayLike<number>, width: number): Int32Array {
  const rows = Math.floor(scores.length / width);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < width; j++) if (scores[r * width + j] > scores[r * width + best]) best = j;
    out[r] = best;
  }
  return out;
}

/** Limits a profile given directly must respect. */
export interface ProfileLimits {
  maxFeatures: number;
  maxBins: number;
}

/**
 * What is wrong with a profile given by a caller, as `{field, message}` (empty when valid). Shares
 * must sum to 1 (within 1e-3); they are used as given.
 */
export function profileProblems(profile: VersionProfile, limits: ProfileLimits): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (!profile.features.length) problems.push({ field: 'features', message: 'at least one feature is needed' });
  if (profile.features.length > limits.maxFeatures) {
    problems.push({ field: 'features', message: `at most ${limits.maxFeatures} features (DRIFT_MAX_FEATURES)` });
    return problems;
  }
  const names = new Set<string>();
  profile.features.forEach((f, i) => {
    const at = `features[${i}]`;
    if (names.has(f.name)) problems.push({ field: `${at}.name`, message: `'${f.name}' appears twice` });
    names.add(f.name);
    problems.push(...binProblems(at, f.binEdges, f.binShares, limits));
    if (!finite(f.mean)) problems.push({ field: `${at}.mean`, message: 'must be a finite number' });
    if (!finite(f.std) || f.std < 0) problems.push({ field: `${at}.std`, message: 'must be a finite number ≥ 0' });
  });
  const p = profile.predictions;
  if (p?.kind === 'values') problems.push(...binProblems('predictions', p.binEdges, p.binShares, limits));
  if (p?.kind === 'classes') {
    if (p.classes.length !== p.shares.length || p.classes.length < 2) {
      problems.push({ field: 'predictions.shares', message: 'one share per class, at least two classes' });
    } else problems.push(...shareProblems('predictions.shares', p.shares));
  }
  return problems;
}

function binProblems(at: string, edges: number[], shares: number[], limits: ProfileLimits): { field: string; message: string }[] {
  const bins = shares.length;
  if (bins < 2 || bins > limits.maxBins) return [{ field: `${at}.binShares`, message: `between 2 and ${limits.maxBins} bins` }];
  if (![bins - 1, bins, bins + 1].includes(edges.length)) {
    return [{ field: `${at}.binEdges`, message: `${bins} bins need ${bins + 1} edges (or ${bins - 1} inner ones, or ${bins} upper ones)` }];
  }
  if (edges.some((e) => !Number.isFinite(e))) return [{ field: `${at}.binEdges`, message: 'must be finite numbers' }];
  if (edges.some((e, i) => i > 0 && e < edges[i - 1])) return [{ field: `${at}.binEdges`, message: 'must be in ascending order' }];
  return shareProblems(`${at}.binShares`, shares);
}

function shareProblems(at: string, shares: number[]): { field: string; message: string }[] {
  if (shares.some((s) => !Number.isFinite(s) || s < 0)) return [{ field: at, message: 'must be finite numbers ≥ 0' }];
  const total = shares.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) > 1e-3) return [{ field: at, message: `must sum to 1 (they sum to ${total})` }];
  return [];
}

/** The number of bins of a prediction profile (class count or value bins). */
export function predictionBins(p: PredictionProfile): number {
  return p.kind === 'classes' ? p.classes.length : p.binShares.length;
}

export function predictionShares(p: PredictionProfile): number[] {
  return p.kind === 'classes' ? p.shares : p.binShares;
}
