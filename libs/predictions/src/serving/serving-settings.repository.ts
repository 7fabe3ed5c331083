import type { ModelServingSettingsEntity } from '../entities/model-serving-settings.entity';

/** How one model is served beyond the registry's facts. */
export interface ServingSettings {
  responseCacheTtlSeconds: number | null;
  logPayloads: boolean;
  payloadRetentionDays: number;
}

/**
 * model_serving_settings, one row per model that changed a default (DI token; the TypeORM
 * implementation is bound in PredictionsModule). A model without a row is served with the defaults.
 */
export abstract class ServingSettingsRepository {
  abstract findByModelId(modelId: string): Promise<ModelServingSettingsEntity | null>;
  /** Inserts or replaces the model's row (updatedAt moves on) and returns it as stored. */
  abstract upsert(modelId: string, settings: ServingSettings, updatedBy: string): Promise<ModelServingSettingsEntity>;
}
