import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { ModelEntity } from '@app/models';

/** A stored request/response pair of a model that opted in; purged when `expiresAt` passes. */
@Entity('prediction_logs')
@Index('prediction_logs_expires_at_idx', ['expiresAt'])
@ForeignKey(() => ModelEntity, ['modelId'], ['id'], { name: 'prediction_logs_model_id_fkey', onDelete: 'CASCADE' })
export class PredictionLogEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'prediction_logs_pkey' })
  id: string;

  @Column('uuid', { name: 'model_id' })
  modelId: string;

  @Column('integer')
  version: number;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;

  @Column('text', { name: 'request_id' })
  requestId: string;

  @Column('text', { name: 'caller_id', nullable: true })
  callerId: string | null;

  @Column('jsonb')
  input: unknown;

  @Column('jsonb')
  output: unknown;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt: Date;
}
