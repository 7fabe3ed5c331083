import { Check, Column, Entity, ForeignKey, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { ModelEntity } from './model.entity';
import { ModelVersionEntity } from './model-version.entity';

/** A model's canary split and shadow of its production traffic; no row means neither. */
@Entity('model_traffic')
@Check('model_traffic_percent_range', `canary_percent > 0 AND canary_percent < 100`)
@Check('model_traffic_canary_pair', `(canary_version IS NULL) = (canary_percent IS NULL)`)
@Check('model_traffic_shadow_percent_range', `shadow_percent >= 1 AND shadow_percent <= 100`)
@Check(
  'model_traffic_shadow_complete',
  `(shadow_version IS NULL) = (shadow_percent IS NULL) AND (shadow_version IS NULL) = (shadow_since IS NULL)`,
)
@Check('model_traffic_not_empty', `canary_version IS NOT NULL OR shadow_version IS NOT NULL`)
@ForeignKey(() => ModelEntity, ['modelId'], ['id'], { name: 'model_traffic_model_id_fkey', onDelete: 'CASCADE' })
@ForeignKey(() => ModelVersionEntity, ['modelId', 'canaryVersion'], ['modelId', 'version'], {
  name: 'model_traffic_canary_version_fkey',
  onDelete: 'CASCADE',
})
@ForeignKey(() => ModelVersionEntity, ['modelId', 'shadowVersion'], ['modelId', 'version'], {
  name: 'model_traffic_shadow_version_fkey',
  onDelete: 'CASCADE',
})
export class ModelTrafficEntity {
  @PrimaryColumn('uuid', { name: 'model_id', primaryKeyConstraintName: 'model_traffic_pkey' })
  modelId: string;

  @Column('integer', { name: 'canary_version', nullable: true })
  canaryVersion: number | null;

  @Column('double precision', { name: 'canary_percent', nullable: true })
  canaryPercent: number | null;

  @Column('integer', { name: 'shadow_version', nullable: true })
  shadowVersion: number | null;

  @Column('double precision', { name: 'shadow_percent', nullable: true })
  shadowPercent: number | null;

  /** When this shadow version was set: its report counts from here (a new version restarts it). */
  @Column('timestamptz', { name: 'shadow_since', nullable: true })
  shadowSince: Date | null;

  @Column('text', { name: 'updated_by' })
  updatedBy: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
