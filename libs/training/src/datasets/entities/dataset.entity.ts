import { Check, Column, CreateDateColumn, DeleteDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { DatasetColumn, DatasetFormat } from '../dataset-format';

const bigintAsNumber = { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/** An uploaded table (its file lives in the artifact storage). Soft-deleted, so jobs keep their lineage. */
@Entity('datasets')
@Unique('datasets_storage_key_key', ['storageKey'])
@Index('datasets_owner_created_idx', ['ownerId', 'createdAt'], { where: 'deleted_at IS NULL' })
@Check('datasets_name_length', `char_length(name) BETWEEN 1 AND 200`)
@Check('datasets_format_valid', `format IN ('csv', 'jsonl')`)
@Check('datasets_row_count_positive', `row_count >= 1`)
@Check('datasets_columns_array', `jsonb_typeof(columns) = 'array'`)
@Check('datasets_sha256_format', `sha256 ~ '^[0-9a-f]{64}$'`)
@Check('datasets_size_nonnegative', `size_bytes >= 0`)
export class DatasetEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'datasets_pkey' })
  id: string;

  @Column('text')
  name: string;

  @Column('text')
  format: DatasetFormat;

  @Column('integer', { name: 'row_count' })
  rows: number;

  @Column('jsonb')
  columns: DatasetColumn[];

  /** sha256 of the file's bytes as uploaded. */
  @Column('text')
  sha256: string;

  @Column('bigint', { name: 'size_bytes', transformer: bigintAsNumber })
  sizeBytes: number;

  @Column('text', { name: 'storage_key' })
  storageKey: string;

  /** The uploader's principal id (user or API key): who may see and delete it besides admins. */
  @Column('text', { name: 'owner_id' })
  ownerId: string;

  /** Readable principal: a user's email or `api-key:<id>`. */
  @Column('text', { name: 'created_by' })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
