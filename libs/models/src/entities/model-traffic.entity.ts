import { Check, Column, Entity, ForeignKey, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { ModelEntity } from './model.entity';
import { ModelVersionEntity } from './model-version.entity';

/** The canary split of a model's production traffic; no row means no canary. */
@Entity('model_traffic')
@Check('model_traffic_percent_range', `canary_percent > 0 AND canary_percent < 100`)
@ForeignKey(() => ModelEntity, ['modelId'], ['id'], { name: 'model_traffic_model_id_fkey', onDelete: 'CASCADE' })
@ForeignKey(() => ModelVersionEntity, ['modelId', 'canaryVersion'], ['modelId', 'version'], {
  name: 'model_traffic_canary_version_fkey',
  onDelete: 'CASCADE',
})
export class ModelTrafficEntity {
  @PrimaryColumn('uuid', { name: 'model_id', primaryKeyConstraintName: 'model_traffic_pkey' })
  modelId: string;

  @Column('integer', { name: 'canary_version' })
  canaryVersion: number;

  @Column('double precision', { name: 'canary_percent' })
  canaryPercent: number;

  @Column('text', { name: 'updated_by' })
  updatedBy: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
