import { Injectable } from '@nestjs/common';
import { RegistryReader } from '@app/models';
import { ShadowReportDto } from '../dto/shadow-report.dto';
import { histogramPercentile } from './shadow-comparison';
import { ShadowComparisonsRepository } from './shadow-comparisons.repository';

/** GET /v1/models/{name}/shadow-report: the current shadow run's figures, summed over every replica's writes. */
@Injectable()
export class ShadowReportService {
  constructor(
    private readonly registry: RegistryReader,
    private readonly comparisons: ShadowComparisonsRepository,
  ) {}

  async report(name: string): Promise<ShadowReportDto> {
    const shadow = await this.registry.shadow(name);
    if (!shadow) {
      return {
        version: null,
        baselineVersion: null,
        requests: 0,
        errors: 0,
        agreement: null,
        meanAbsDiff: null,
        p50Ms: null,
        p95Ms: null,
        baselineP50Ms: null,
        baselineP95Ms: null,
        since: null,
      };
    }
    const f = await this.comparisons.figures(shadow.modelId, shadow.version, shadow.since);
    return {
      version: shadow.version,
      baselineVersion: f.baselineVersion,
      requests: f.requests,
      errors: f.errors,
      agreement: f.rowsClassified > 0 ? f.rowsAgreeing / f.rowsClassified : null,
      meanAbsDiff: f.valuesCompared > 0 ? f.absDiffSum / f.valuesCompared : null,
      p50Ms: histogramPercentile(f.shadowLatencyCounts, 0.5),
      p95Ms: histogramPercentile(f.shadowLatencyCounts, 0.95),
      baselineP50Ms: histogramPercentile(f.baselineLatencyCounts, 0.5),
      baselineP95Ms: histogramPercentile(f.baselineLatencyCounts, 0.95),
      since: shadow.since.toISOString(),
    };
  }
}
