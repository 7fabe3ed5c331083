import { Check, Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { ModelEntity } from './model.entity';
import { ModelVersionEntity } from './model-version.entity';

/** A named pointer to a version (`champion`, `eu`, ...). `production` is derived from the stage, never stored. */
@Entity('model_aliases')
@Check('model_aliases_alias_format', `alias ~ '^[a-z0-9][a-z0-9._-]{0,62}$'`)
@Check('model_aliases_alias_not_reserved', `alias <> 'production'`)
@ForeignKey(() => ModelEntity, ['modelId'], ['id'], { name: 'model_aliases_model_id_fkey', onDelete: 'CASCADE' })
@ForeignKey(() => ModelVersionEntity, ['modelId', 'version'], ['modelId', 'version'], {
  name: 'model_aliases_version_fkey',
  onDelete: 'CASCADE',
})
export class ModelAliasEntity {
  @PrimaryColumn('uuid', { name: 'model_id', primaryKeyConstraintName: 'model_aliases_pkey' })
  modelId: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'model_aliases_pkey' })
  alias: string;

  @Column('integer')
  version: number;

  @Column('text', { name: 'updated_by' })
  updatedBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
