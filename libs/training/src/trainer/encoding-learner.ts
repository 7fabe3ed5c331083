import type { CategoryFeatureEncoding, FeatureEncoding, FeatureEncodingEntry } from '@app/models/domain/feature-encoding';
import { categoryOf } from '@app/models/domain/feature-encoding';
import type { CellValue, ColumnType } from '../datasets/dataset-format';

export interface EncodingOptions {
  /** Vocabulary entries kept per category feature (the rest share the out-of-vocabulary slot). */
  maxCategories: number;
  /** A vocabulary longer than this is embedded rather than one-hot encoded. */
  embeddingAbove: number;
  /** Numeric features with missing values get a 0/1 "was missing" column. */
  missingIndicator: boolean;
}

export interface FeatureColumn {
  name: string;
  type: ColumnType;
  values: readonly CellValue[];
}

/**
 * Learns each feature's encoding from the training split only (the validation split must not leak
 * into medians or vocabularies): the median of a numeric feature, and a category feature's
 * vocabulary, most frequent first, cut at `maxCategories`. A numeric feature gets a missing
 * indicator when asked and the training split has a missing value in it (an indicator that is always
 * 0 would only widen the model).
 */
export function learnEncoding(columns: readonly FeatureColumn[], trainRows: ArrayLike<number>, options: EncodingOptions): FeatureEncoding {
  const features: FeatureEncodingEntry[] = columns.map((column) => {
    if (column.type === 'number') {
      const present: number[] = [];
      let missing = 0;
      for (let i = 0; i < trainRows.length; i++) {
        const v = column.values[trainRows[i]];
        if (v === null) missing++;
        else present.push(v as number);
      }
      return { name: column.name, type: 'number', fill: median(present), indicator: options.missingIndicator && missing > 0 };
    }
    const counts = new Map<string, number>();
    for (let i = 0; i < trainRows.length; i++) {
      const v = column.values[trainRows[i]];
      if (v === null) continue;
      const key = categoryOf(v);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const vocabulary = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, options.maxCategories)
      .map(([value]) => value);
    const entry: CategoryFeatureEncoding = { name: column.name, type: column.type, vocabulary, encoding: 'one-hot' };
    if (vocabulary.length > options.embeddingAbove) {
      entry.encoding = 'embedding';
      entry.embeddingDim = embeddingDim(vocabulary.length + 2);
    }
    return entry;
  });
  return { features };
}

/** fast.ai's rule of thumb for an embedding's width, capped: 1.6 · n^0.56, at most 16. */
export function embeddingDim(slots: number): number {
  return Math.max(2, Math.min(16, Math.round(1.6 * slots ** 0.56)));
}

/** The median (the mean of the middle two for an even count); 0 when there is no value at all. */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
