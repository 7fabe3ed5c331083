import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DriftFigures } from '../domain/drift-tally';
import { DriftCountsDelta, DriftCountsRepository } from './drift-counts.repository';

/** Element-wise sum of the stored array and the added one. */
const ADD = (column: string) => `ARRAY(SELECT a + b FROM unnest(drift_counts.${column}, excluded.${column}) AS t(a, b))`;
/** Element-wise sum of a column over the selected minutes. */
const SUM = (column: string) =>
  `(SELECT coalesce(array_agg(s ORDER BY i), '{}') FROM (
      SELECT i, sum(v) AS s FROM drift_counts d, unnest(d.${column}) WITH ORDINALITY AS u(v, i)
       WHERE d.version_id = $1 AND d.revision = $2 AND d.minute >= $3 GROUP BY i) x) AS ${column}`;

@Injectable()
export class TypeormDriftCountsRepository extends DriftCountsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  /** One statement per delta: replicas adding to the same minute serialize on its row lock and lose nothing. */
  async add(deltas: DriftCountsDelta[]): Promise<void> {
    for (const d of deltas) {
      await this.dataSource.query(
        `INSERT INTO drift_counts (version_id, revision, minute, rows, feature_counts, feature_sums, feature_squares, prediction_counts)
         VALUES ($1, $2, $3, $4, $5::bigint[], $6::float8[], $7::float8[], $8::bigint[])
         ON CONFLICT (version_id, revision, minute) DO UPDATE SET
           rows = drift_counts.rows + excluded.rows,
           feature_counts = ${ADD('feature_counts')},
           feature_sums = ${ADD('feature_sums')},
           feature_squares = ${ADD('feature_squares')},
           prediction_counts = ${ADD('prediction_counts')}`,
        [d.versionId, d.revision, d.minute, d.rows, d.featureCounts, d.featureSums, d.featureSquares, d.predictionCounts],
      );
    }
  }

  async sum(versionId: string, revision: number, since: Date): Promise<DriftFigures> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT (SELECT coalesce(sum(rows), 0) FROM drift_counts WHERE version_id = $1 AND revision = $2 AND minute >= $3) AS rows,
              ${SUM('feature_counts')}, ${SUM('feature_sums')}, ${SUM('feature_squares')}, ${SUM('prediction_counts')}`,
      [versionId, revision, since],
    );
    const numbers = (v: unknown) => (v as (string | number)[]).map(Number);
    return {
      rows: Number(row.rows),
      featureCounts: numbers(row.feature_counts),
      featureSums: numbers(row.feature_sums),
      featureSquares: numbers(row.feature_squares),
      predictionCounts: numbers(row.prediction_counts),
    };
  }

  async deleteBefore(before: Date): Promise<number> {
    const result: [unknown, number] = await this.dataSource.query(`DELETE FROM drift_counts WHERE minute < $1`, [before]);
    return Number(result[1] ?? 0);
  }
}
