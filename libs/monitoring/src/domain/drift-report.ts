import { driftStatus, type DriftStatus, populationStabilityIndex, predictionShares, type VersionProfile } from '@app/models';
import type { DriftFigures } from './drift-tally';

export interface FeatureDrift {
  name: string;
  /** null while the window holds no served row. */
  psi: number | null;
  meanTraining: number;
  meanServing: number | null;
  stdTraining: number;
  stdServing: number | null;
  status: DriftStatus | null;
  binShares: number[];
  servingShares: number[] | null;
}

export interface PredictionDrift {
  kind: 'classes' | 'values' | null;
  classes: string[] | null;
  distributionTraining: number[] | null;
  distributionServing: number[] | null;
  psi: number | null;
  status: DriftStatus | null;
}

/** PSI per feature and for the predictions, serving's window against the profile. */
export function driftOf(profile: VersionProfile, seen: DriftFigures): { features: FeatureDrift[]; predictions: PredictionDrift } {
  const rows = seen.rows;
  let at = 0;
  const features = profile.features.map((f, j): FeatureDrift => {
    const bins = f.binShares.length;
    const counts = seen.featureCounts.slice(at, at + bins);
    at += bins;
    const base = { name: f.name, meanTraining: f.mean, stdTraining: f.std, binShares: f.binShares };
    if (!rows) return { ...base, psi: null, meanServing: null, stdServing: null, status: null, servingShares: null };
    const shares = counts.map((c) => c / rows);
    const psi = round(populationStabilityIndex(f.binShares, shares));
    const mean = seen.featureSums[j] / rows;
    const variance = Math.max(0, seen.featureSquares[j] / rows - mean * mean);
    return {
      ...base,
      psi,
      meanServing: round(mean),
      stdServing: round(Math.sqrt(variance)),
      status: driftStatus(psi),
      servingShares: shares.map(round),
    };
  });

  const p = profile.predictions;
  if (!p)
    return {
      features,
      predictions: { kind: null, classes: null, distributionTraining: null, distributionServing: null, psi: null, status: null },
    };
  const training = predictionShares(p);
  const counted = seen.predictionCounts.reduce((a, b) => a + b, 0);
  const serving = counted ? seen.predictionCounts.map((c) => round(c / counted)) : null;
  const psi = serving ? round(populationStabilityIndex(training, serving)) : null;
  return {
    features,
    predictions: {
      kind: p.kind,
      classes: p.kind === 'classes' ? p.classes : null,
      distributionTraining: training,
      distributionServing: serving,
      psi,
      status: psi === null ? null : driftStatus(psi),
    },
  };
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;
