import { binOf, cutsOf, type PredictionProfile, type VersionProfile } from '@app/models';

/** What serving saw of one version (one profile revision) in one minute, summed across rows. */
export interface DriftFigures {
  rows: number;
  /** Per feature, its bins' counts, the features one after another. */
  featureCounts: number[];
  featureSums: number[];
  featureSquares: number[];
  /** Per prediction bin (class or value bin); empty without a prediction profile. */
  predictionCounts: number[];
}

/**
 * Counts served rows into a profile's bins: per feature a binary search over at most a few dozen
 * cut points, a sum and a sum of squares; per row's prediction its class (argmax) or value bin.
 * Built once per profile revision and reused for every request: no allocation per row.
 */
export class DriftCounter {
  readonly width: number;
  private readonly cuts: Float64Array[];
  readonly offsets: Int32Array;
  readonly bins: number;
  private readonly predictions: PredictionProfile | null;
  private readonly predictionCuts: Float64Array | null;
  readonly predictionBins: number;

  constructor(profile: VersionProfile) {
    this.width = profile.features.length;
    this.cuts = profile.features.map((f) => cutsOf(f.binEdges, f.binShares.length));
    this.offsets = new Int32Array(this.width);
    let at = 0;
    profile.features.forEach((f, j) => {
      this.offsets[j] = at;
      at += f.binShares.length;
    });
    this.bins = at;
    this.predictions = profile.predictions;
    const p = profile.predictions;
    this.predictionCuts = p?.kind === 'values' ? cutsOf(p.binEdges, p.binShares.length) : null;
    this.predictionBins = !p ? 0 : p.kind === 'classes' ? p.classes.length : p.binShares.length;
  }

  newTally(minute: number): DriftTally {
    return new DriftTally(minute, this);
  }

  /** Adds rows (each the version's one input, `width` numbers) and their predictions (the one output's rows) to a tally. */
  count(tally: DriftTally, rows: readonly (readonly unknown[])[], outputs: readonly (readonly unknown[])[] | undefined): void {
    const { width, cuts, offsets } = this;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (row.length !== width) continue;
      for (let j = 0; j < width; j++) {
        const v = row[j] as number;
        tally.featureCounts[offsets[j] + binOf(cuts[j], v)]++;
        tally.featureSums[j] += v;
        tally.featureSquares[j] += v * v;
      }
    }
    tally.rows += rows.length;
    const p = this.predictions;
    if (!p || !outputs) return;
    for (let r = 0; r < outputs.length; r++) {
      const out = outputs[r] as number[];
      if (p.kind === 'classes') {
        if (out.length !== this.predictionBins) continue;
        let best = 0;
        for (let k = 1; k < out.length; k++) if (out[k] > out[best]) best = k;
        tally.predictionCounts[best]++;
      } else if (out.length === 1) {
        tally.predictionCounts[binOf(this.predictionCuts!, out[0])]++;
      }
    }
  }
}

/** One minute of counts for one version and profile revision (typed arrays: counted in place). */
export class DriftTally {
  rows = 0;
  readonly featureCounts: Float64Array;
  readonly featureSums: Float64Array;
  readonly featureSquares: Float64Array;
  readonly predictionCounts: Float64Array;

  constructor(
    readonly minute: number,
    counter: DriftCounter,
  ) {
    this.featureCounts = new Float64Array(counter.bins);
    this.featureSums = new Float64Array(counter.width);
    this.featureSquares = new Float64Array(counter.width);
    this.predictionCounts = new Float64Array(counter.predictionBins);
  }

  figures(): DriftFigures {
    return {
      rows: this.rows,
      featureCounts: Array.from(this.featureCounts),
      featureSums: Array.from(this.featureSums),
      featureSquares: Array.from(this.featureSquares),
      predictionCounts: Array.from(this.predictionCounts),
    };
  }
}
