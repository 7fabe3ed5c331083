import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import type { ProfileSource, VersionProfile } from '../domain/feature-profile';
import { NewProfile, StoredProfile, VersionProfilesRepository } from './version-profiles.repository';

const COLUMNS = `version_id, revision, source, features, predictions, rows, dataset_id, created_by, created_at`;

@Injectable()
export class TypeormVersionProfilesRepository extends VersionProfilesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async find(versionId: string, tx?: Transaction): Promise<StoredProfile | null> {
    const manager = tx ? managerOf(tx) : this.dataSource.manager;
    const rows: Record<string, unknown>[] = await manager.query(`SELECT ${COLUMNS} FROM version_profiles WHERE version_id = $1`, [
      versionId,
    ]);
    return rows.length ? toStored(rows[0]) : null;
  }

  async save(p: NewProfile, tx: Transaction): Promise<StoredProfile> {
    const rows: Record<string, unknown>[] = await managerOf(tx).query(
      `INSERT INTO version_profiles (version_id, revision, source, features, predictions, rows, dataset_id, created_by)
       VALUES ($1, 1, $2, $3::jsonb, $4::jsonb, $5, $6, $7)
       ON CONFLICT (version_id) DO UPDATE SET
         revision = version_profiles.revision + 1, source = excluded.source, features = excluded.features,
         predictions = excluded.predictions, rows = excluded.rows, dataset_id = excluded.dataset_id,
         created_by = excluded.created_by, created_at = now()
       RETURNING ${COLUMNS}`,
      [
        p.versionId,
        p.source,
        JSON.stringify(p.profile.features),
        p.profile.predictions ? JSON.stringify(p.profile.predictions) : null,
        p.profile.rows,
        p.datasetId,
        p.createdBy,
      ],
    );
    return toStored(rows[0]);
  }
}

function toStored(r: Record<string, unknown>): StoredProfile {
  return {
    versionId: r.version_id as string,
    revision: Number(r.revision),
    source: r.source as ProfileSource,
    profile: {
      // jsonb keeps keys in its own order: put them back in the documented one.
      features: (r.features as VersionProfile['features']).map(({ name, binEdges, binShares, mean, std }) => ({
        name,
        binEdges,
        binShares,
        mean,
        std,
      })),
      predictions: predictionsOf(r.predictions as VersionProfile['predictions']),
      rows: r.rows === null ? null : Number(r.rows),
    },
    datasetId: (r.dataset_id as string | null) ?? null,
    createdBy: r.created_by as string,
    createdAt: new Date(r.created_at as string),
  };
}

function predictionsOf(p: VersionProfile['predictions'] | undefined): VersionProfile['predictions'] {
  if (!p) return null;
  return p.kind === 'classes'
    ? { kind: 'classes', classes: p.classes, shares: p.shares }
    : { kind: 'values', binEdges: p.binEdges, binShares: p.binShares };
}
