import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { InjectConfig, MetricsRegistry, ValidationFailedError } from '@app/common';
import { ScheduledJobs } from '@app/database';
import { type ProfiledVersion, type StoredProfile, VersionProfilesService } from '@app/models';
import { driftOf } from '../domain/drift-report';
import { DriftCountsRepository } from '../repositories/drift-counts.repository';
import { monitoringConfig, type MonitoringConfig } from '../monitoring.config';
import { DriftRecorder } from './drift-recorder';
import type { DriftReportDto } from '../dto/drift-report.dto';

/** The window of the drift gauges (minutes). */
const GAUGE_WINDOW_MINUTES = 60;

/**
 * The drift report: serving's counts over a window (all replicas', from the database) against the
 * version's profile, PSI per feature and for the predictions. The same figures feed the gauges,
 * recomputed on a schedule for the versions this replica serves, so alerts need nobody to ask.
 */
@Injectable()
export class DriftService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DriftService.name);
  private readonly featureGauge: Gauge<'model' | 'version' | 'feature'>;
  private readonly predictionGauge: Gauge<'model' | 'version'>;

  constructor(
    private readonly profiles: VersionProfilesService,
    private readonly counts: DriftCountsRepository,
    private readonly recorder: DriftRecorder,
    private readonly jobs: ScheduledJobs,
    @InjectConfig(monitoringConfig) private readonly config: MonitoringConfig,
    metrics: MetricsRegistry,
  ) {
    this.featureGauge = new Gauge({
      name: 'modelgate_feature_drift_psi',
      help: "Population stability index of a feature's served values against the version's profile, over the last hour",
      labelNames: ['model', 'version', 'feature'],
      registers: [metrics],
    });
    this.predictionGauge = new Gauge({
      name: 'modelgate_prediction_drift_psi',
      help: "Population stability index of a version's predictions against its profile's, over the last hour",
      labelNames: ['model', 'version'],
      registers: [metrics],
    });
  }

  onApplicationBootstrap(): void {
    this.jobs.every('drift-gauges', this.config.evaluateIntervalMs, () => this.evaluate());
    // Counts past retention go, whoever is running (one replica at a time does it).
    this.jobs.every('drift-retention', 3_600_000, () => this.prune(), { exclusive: true });
  }

  /** GET /v1/models/{name}/versions/{version}/drift */
  async report(name: string, number: number, windowMinutes: number): Promise<DriftReportDto> {
    const maxWindow = this.config.retentionDays * 1440;
    if (windowMinutes > maxWindow) {
      throw new ValidationFailedError([
        {
          field: 'window',
          message: `at most ${maxWindow} minutes (counts are kept ${this.config.retentionDays} days: DRIFT_RETENTION_DAYS)`,
        },
      ]);
    }
    const version = await this.profiles.version(name, number);
    const profile = await this.profiles.require(version);
    await this.recorder
      .flush()
      .catch((error: unknown) => this.logger.warn({ err: error, msg: 'drift counts could not be flushed before a report' }));
    return this.compute(version, profile, windowMinutes);
  }

  private async compute(
    version: Pick<ProfiledVersion, 'id' | 'modelName' | 'version'>,
    stored: StoredProfile,
    windowMinutes: number,
  ): Promise<DriftReportDto> {
    const to = new Date();
    const from = new Date(to.getTime() - windowMinutes * 60_000);
    const seen = await this.counts.sum(version.id, stored.revision, from);
    const { features, predictions } = driftOf(stored.profile, seen);
    const labels = { model: version.modelName, version: String(version.version) };
    if (windowMinutes === GAUGE_WINDOW_MINUTES && seen.rows >= this.config.gaugeMinRows) {
      for (const f of features) if (f.psi !== null) this.featureGauge.set({ ...labels, feature: f.name }, f.psi);
      if (predictions.psi !== null) this.predictionGauge.set(labels, predictions.psi);
    }
    return {
      model: version.modelName,
      version: version.version,
      window: windowMinutes,
      from: from.toISOString(),
      to: to.toISOString(),
      rows: seen.rows,
      profile: { source: stored.source, revision: stored.revision, rows: stored.profile.rows, createdAt: stored.createdAt.toISOString() },
      features,
      predictions,
    };
  }

  /** Recomputes the gauges over the last hour for every profiled version this replica has served. */
  async evaluate(): Promise<number> {
    await this.recorder.flush().catch(() => undefined);
    this.featureGauge.reset();
    this.predictionGauge.reset();
    let evaluated = 0;
    // The recorder holds what serving resolved: no registry read per version and minute.
    for (const served of this.recorder.profiledVersions()) {
      const stored = await this.profiles.find(served.versionId);
      if (!stored) continue;
      await this.compute({ id: served.versionId, modelName: served.modelName, version: served.version }, stored, GAUGE_WINDOW_MINUTES);
      evaluated++;
    }
    return evaluated;
  }

  private async prune(): Promise<number> {
    return this.counts.deleteBefore(new Date(Date.now() - this.config.retentionDays * 86_400_000));
  }
}
