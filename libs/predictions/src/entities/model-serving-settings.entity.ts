import { Check, Column, Entity, ForeignKey, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { ModelEntity } from '@app/models';

/** How a model is served beyond the registry's facts: response cache and opt-in payload logging. */
@Entity('model_serving_settings')
@Check('model_serving_settings_ttl_range', `response_cache_ttl_seconds IS NULL OR response_cache_ttl_seconds BETWEEN 1 AND 86400`)
@Check('model_serving_settings_retention_range', `payload_retention_days BETWEEN 1 AND 3650`)
@ForeignKey(() => ModelEntity, ['modelId'], ['id'], { name: 'model_serving_settings_model_id_fkey', onDelete: 'CASCADE' })
export class ModelServingSettingsEntity {
  @PrimaryColumn('uuid', { name: 'model_id', primaryKeyConstraintName: 'model_serving_settings_pkey' })
  modelId: string;

  /** Identical inputs get the cached output for this many seconds; null = no response cache. */
  @Column('integer', { name: 'response_cache_ttl_seconds', nullable: true })
  responseCacheTtlSeconds: number | null;

  /** Inputs and outputs are stored only when a model opts in (LGPD/GDPR), and only for the retention. */
  @Column('boolean', { name: 'log_payloads', default: false })
  logPayloads: boolean;

  @Column('integer', { name: 'payload_retention_days', default: 30 })
  payloadRetentionDays: number;

  @Column('text', { name: 'updated_by' })
  updatedBy: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
