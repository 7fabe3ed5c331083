import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Actor, CLUSTER_EVENTS, ClusterEvents, InjectConfig, InProcessClusterEvents } from '@app/common';
import { databaseConfig, type DatabaseConfig, ScheduledJobs, StaleIfUnavailableCache, UnitOfWork } from '@app/database';
import { servingConfig, type ServingConfig } from '../serving.config';
import { RegistryReader } from '@app/models';
import type { ModelServingSettingsEntity } from '../entities/model-serving-settings.entity';
import { PredictionLogsRepository } from './prediction-logs.repository';
import { ServingSettings, ServingSettingsRepository } from './serving-settings.repository';

export type { ServingSettings } from './serving-settings.repository';

export interface ServingSettingsView extends ServingSettings {
  model: string;
  updatedAt: string | null;
  updatedBy: string | null;
}

const DEFAULTS: ServingSettings = { responseCacheTtlSeconds: null, logPayloads: false, payloadRetentionDays: 30 };
const SETTINGS_TTL_MS = 5_000;
const TOPIC = 'serving-settings';
const PURGE_JOB = 'predictions.purge-expired-payloads';

/**
 * Per-model serving options. Read on every prediction, so they are cached briefly in memory;
 * writes take effect at once on every replica (cluster events), and within SETTINGS_TTL_MS when
 * that relay is down (and the last known settings hold while the database is unreachable).
 */
@Injectable()
export class ServingSettingsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly cache: StaleIfUnavailableCache<ServingSettings>;
  private readonly logger = new Logger(ServingSettingsService.name);
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly settings: ServingSettingsRepository,
    private readonly logs: PredictionLogsRepository,
    private readonly transactions: UnitOfWork,
    private readonly registry: RegistryReader,
    @InjectConfig(servingConfig) private readonly config: ServingConfig,
    @InjectConfig(databaseConfig) database: DatabaseConfig,
    private readonly jobs: ScheduledJobs,
    @Optional() @Inject(CLUSTER_EVENTS) private readonly cluster: ClusterEvents = new InProcessClusterEvents(),
  ) {
    this.cache = new StaleIfUnavailableCache(SETTINGS_TTL_MS, database.staleIfErrorMs);
    this.unsubscribe = [
      cluster.subscribe(TOPIC, (event) => typeof event.modelId === 'string' && this.cache.delete(event.modelId)),
      cluster.onResync(() => [...this.cache.keys()].forEach((key) => this.cache.delete(key))),
    ];
  }

  /** forModel()'s answer when cached and fresh (undefined: call forModel()): no promise on the serving hot path. */
  forModelNow(modelId: string): ServingSettings | undefined {
    return this.cache.peek(modelId)?.value;
  }

  forModel(modelId: string): Promise<ServingSettings> {
    return this.cache.get(modelId, () => this.settings.findByModelId(modelId).then((row) => (row ? pick(row) : DEFAULTS)));
  }

  async get(modelName: string): Promise<ServingSettingsView> {
    const model = await this.registry.model(modelName);
    return view(modelName, await this.settings.findByModelId(model.id));
  }

  async update(modelName: string, changes: Partial<ServingSettings>, actor: Actor): Promise<ServingSettingsView> {
    const model = await this.registry.model(modelName);
    const current = await this.settings.findByModelId(model.id);
    const next: ServingSettings = { ...(current ? pick(current) : DEFAULTS), ...changes };
    const stored = await this.settings.upsert(model.id, next, actor.caller.id);
    this.cache.delete(model.id);
    this.cluster.publish(TOPIC, { modelId: model.id });
    return view(modelName, stored);
  }

  /** Deletes stored payloads past their retention (LGPD/GDPR); one replica at a time (the others skip). */
  async purgeExpiredPayloads(now: Date = new Date()): Promise<number> {
    const run = await this.transactions.exclusively(PURGE_JOB, () => this.logs.deleteExpired(now));
    return run.ran ? run.result : 0;
  }

  /** Every PAYLOAD_PURGE_INTERVAL_SECONDS (0 = off), on one replica at a time (an exclusive scheduled job). */
  onApplicationBootstrap(): void {
    this.jobs.every(
      PURGE_JOB,
      this.config.payloadPurgeIntervalSeconds * 1000,
      async () => {
        const n = await this.logs.deleteExpired(new Date());
        if (n) this.logger.log(`purged ${n} stored prediction payload(s) past retention`);
      },
      { exclusive: true },
    );
  }

  onApplicationShutdown(): void {
    for (const off of this.unsubscribe) off();
  }
}

function pick(row: Pick<ModelServingSettingsEntity, keyof ServingSettings>): ServingSettings {
  return {
    responseCacheTtlSeconds: row.responseCacheTtlSeconds,
    logPayloads: row.logPayloads,
    payloadRetentionDays: row.payloadRetentionDays,
  };
}

function view(model: string, row: ModelServingSettingsEntity | null): ServingSettingsView {
  return {
    model,
    ...(row ? pick(row) : DEFAULTS),
    updatedAt: row?.updatedAt.toISOString() ?? null,
    updatedBy: row?.updatedBy ?? null,
  };
}
