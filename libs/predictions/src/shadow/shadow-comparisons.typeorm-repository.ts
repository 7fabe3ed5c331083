import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { addHistograms, emptyTally, type ShadowTally } from './shadow-comparison';
import { ShadowComparisonsRepository, ShadowRunFigures } from './shadow-comparisons.repository';

/** Element-wise sum of two bigint[] of any lengths (a shorter one counts as zeros). */
const ADD_ARRAYS = (column: string) =>
  `ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0) FROM unnest(shadow_comparisons.${column}, excluded.${column}) AS t(a, b))`;

@Injectable()
export class TypeormShadowComparisonsRepository extends ShadowComparisonsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  /** One statement: replicas adding to the same run's row at once serialize on its row lock and lose nothing. */
  async add(t: ShadowTally): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO shadow_comparisons (model_id, shadow_version, shadow_since, baseline_version, requests, errors,
         rows_classified, rows_agreeing, values_compared, abs_diff_sum, shadow_latency_counts, baseline_latency_counts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::bigint[], $12::bigint[])
       ON CONFLICT (model_id, shadow_version, shadow_since, baseline_version) DO UPDATE SET
         requests = shadow_comparisons.requests + excluded.requests,
         errors = shadow_comparisons.errors + excluded.errors,
         rows_classified = shadow_comparisons.rows_classified + excluded.rows_classified,
         rows_agreeing = shadow_comparisons.rows_agreeing + excluded.rows_agreeing,
         values_compared = shadow_comparisons.values_compared + excluded.values_compared,
         abs_diff_sum = shadow_comparisons.abs_diff_sum + excluded.abs_diff_sum,
         shadow_latency_counts = ${ADD_ARRAYS('shadow_latency_counts')},
         baseline_latency_counts = ${ADD_ARRAYS('baseline_latency_counts')},
         updated_at = now()`,
      [
        t.modelId,
        t.shadowVersion,
        t.shadowSince,
        t.baselineVersion,
        t.requests,
        t.errors,
        t.rowsClassified,
        t.rowsAgreeing,
        t.valuesCompared,
        t.absDiffSum,
        t.shadowLatencyCounts,
        t.baselineLatencyCounts,
      ],
    );
  }

  async figures(modelId: string, shadowVersion: number, since: Date): Promise<ShadowRunFigures> {
    // A run has one row per production version it met: a handful at most.
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT baseline_version, requests, errors, rows_classified, rows_agreeing, values_compared, abs_diff_sum,
              shadow_latency_counts, baseline_latency_counts
         FROM shadow_comparisons WHERE model_id = $1 AND shadow_version = $2 AND shadow_since = $3
        ORDER BY updated_at DESC`,
      [modelId, shadowVersion, since],
    );
    const counts = (v: unknown) => (v as (string | number)[]).map(Number);
    const none: ShadowRunFigures = {
      ...emptyTally({ modelId, shadowVersion, shadowSince: since, baselineVersion: 0 }),
      // No baseline before the first write; histograms take the rows' length (and stay empty without rows).
      baselineVersion: null,
      shadowLatencyCounts: [],
      baselineLatencyCounts: [],
    };
    return rows.reduce<ShadowRunFigures>(
      (sum, r) => ({
        ...sum,
        baselineVersion: sum.baselineVersion ?? Number(r.baseline_version),
        requests: sum.requests + Number(r.requests),
        errors: sum.errors + Number(r.errors),
        rowsClassified: sum.rowsClassified + Number(r.rows_classified),
        rowsAgreeing: sum.rowsAgreeing + Number(r.rows_agreeing),
        valuesCompared: sum.valuesCompared + Number(r.values_compared),
        absDiffSum: sum.absDiffSum + Number(r.abs_diff_sum),
        shadowLatencyCounts: addHistograms(sum.shadowLatencyCounts, counts(r.shadow_latency_counts)),
        baselineLatencyCounts: addHistograms(sum.baselineLatencyCounts, counts(r.baseline_latency_counts)),
      }),
      none,
    );
  }

  async deleteRunsBefore(modelId: string, since: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM shadow_comparisons WHERE model_id = $1 AND shadow_since < $2`, [modelId, since]);
  }
}
