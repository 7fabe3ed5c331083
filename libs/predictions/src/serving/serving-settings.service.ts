import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Logger as PinoInstance } from 'pino';
import { LessThan, Repository } from 'typeorm';
import { Actor, AppConfig, InjectConfig, ROOT_LOGGER } from '@app/common';
import { StaleIfUnavailableCache } from '@app/database';
import { RegistryReader, ServableVersion } from '@app/models';
import { ModelServingSettingsEntity } from '../entities/model-serving-settings.entity';
import { PredictionLogEntity } from '../entities/prediction-log.entity';

export interface ServingSettings {
  responseCacheTtlSeconds: number | null;
  logPayloads: boolean;
  payloadRetentionDays: number;
}

export interface ServingSettingsView extends ServingSettings {
  model: string;
  updatedAt: string | null;
  updatedBy: string | null;
}

const DEFAULTS: ServingSettings = { responseCacheTtlSeconds: null, logPayloads: false, payloadRetentionDays: 30 };
const SETTINGS_TTL_MS = 5_000;

/**
 * Per-model serving options. Read on every prediction, so they are cached briefly in memory;
 * this replica's writes take effect at once, another replica's within SETTINGS_TTL_MS (and the last
 * known settings hold while the database is unreachable).
 */
@Injectable()
export class ServingSettingsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly cache: StaleIfUnavailableCache<ServingSettings>;
  private readonly logger = new Logger(ServingSettingsService.name);
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(ModelServingSettingsEntity) private readonly settings: Repository<ModelServingSettingsEntity>,
    @InjectRepository(PredictionLogEntity) private readonly logs: Repository<PredictionLogEntity>,
    private readonly registry: RegistryReader,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly rootLogger: PinoInstance,
  ) {
    this.cache = new StaleIfUnavailableCache(SETTINGS_TTL_MS, config.database.staleIfErrorMs);
  }

  forModel(modelId: string): Promise<ServingSettings> {
    return this.cache.get(modelId, () => this.settings.findOne({ where: { modelId } }).then((row) => (row ? pick(row) : DEFAULTS)));
  }

  async get(modelName: string): Promise<ServingSettingsView> {
    const model = await this.registry.model(modelName);
    const row = await this.settings.findOne({ where: { modelId: model.id } });
    return view(modelName, row);
  }

  async update(modelName: string, changes: Partial<ServingSettings>, actor: Actor): Promise<ServingSettingsView> {
    const model = await this.registry.model(modelName);
    const current = (await this.settings.findOne({ where: { modelId: model.id } })) ?? { ...DEFAULTS, modelId: model.id };
    const next = { ...pick(current as ModelServingSettingsEntity), ...changes };
    await this.settings.upsert({ modelId: model.id, ...next, updatedBy: actor.caller.id }, ['modelId']);
    this.cache.delete(model.id);
    return view(modelName, await this.settings.findOneOrFail({ where: { modelId: model.id } }));
  }

  /** Stores a request/response pair of a model that opted in; never blocks or fails the prediction. */
  logPayload(version: ServableVersion, actor: Actor, input: number[][], output: number[][], retentionDays: number): void {
    const expiresAt = new Date(Date.now() + retentionDays * 86_400_000);
    this.logs
      .insert({ modelId: version.modelId, version: version.version, requestId: actor.requestId, callerId: actor.caller.id, input, output, expiresAt })
      .catch((error: unknown) => this.rootLogger.warn({ err: error, model: version.modelName }, 'prediction payload not stored'));
  }

  /** Deletes stored payloads past their retention (LGPD/GDPR). */
  async purgeExpiredPayloads(now: Date = new Date()): Promise<number> {
    const result = await this.logs.delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }

  onApplicationBootstrap(): void {
    const seconds = this.config.serving.payloadPurgeIntervalSeconds;
    if (seconds <= 0) return;
    this.purgeTimer = setInterval(() => {
      this.purgeExpiredPayloads().then(
        (n) => n && this.logger.log(`purged ${n} stored prediction payload(s) past retention`),
        (error: unknown) => this.logger.warn({ err: error, msg: 'payload purge failed; retrying at the next tick' }),
      );
    }, seconds * 1000);
    this.purgeTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.purgeTimer);
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
