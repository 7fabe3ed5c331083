import { DataSource } from 'typeorm';
import { IntegrationDatabase, integrationDatabase } from '@app/database/testing';
import { ModelEntity } from './entities/model.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { StageTransitionEntity } from './entities/stage-transition.entity';
import { TypeormModelVersionsRepository } from './repositories/model-versions.typeorm-repository';

/** The registry's version queries against a real (embedded) Postgres: the SQL is the point. */
describe('model versions repository on TypeORM', () => {
  let db: IntegrationDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await integrationDatabase({
      migrations: ['Baseline1764000000000', 'Identity1764000001100', 'ModelRegistry1764000002000'],
      entities: [ModelEntity, ModelVersionEntity, StageTransitionEntity],
    });
    ds = db.ds;
  }, 60_000);
  afterAll(() => db?.close());

  async function model(name: string, stages: string[]): Promise<string> {
    const [row] = await ds.query(`INSERT INTO models (name) VALUES ($1) RETURNING id`, [name]);
    for (const [i, stage] of stages.entries()) {
      const dated = stage === 'deprecated' ? `now() - interval '1 day', now() + interval '1 day'` : 'NULL, NULL';
      await ds.query(
        `INSERT INTO model_versions (id, model_id, version, stage, framework, inputs, outputs, sha256, size_bytes, artifact_key, created_by, deprecated_at, sunset_at)
         VALUES (gen_random_uuid(), $1, $2, $3, 'tfjs-layers', '[]', '[]', repeat('a', 64), 1, $4, 'int-spec', ${dated})`,
        [row.id, i + 1, stage, `${name}/${i + 1}`],
      );
    }
    return row.id;
  }

  it('servedVersions: the staging, production and deprecated versions of several models in one query, newest first', async () => {
    const a = await model('served-a', ['deprecated', 'production', 'draft', 'staging', 'retired']);
    const b = await model('served-b', ['draft']);
    const repo = new TypeormModelVersionsRepository(ds);
    const served = await repo.servedVersions([a, b, '00000000-0000-0000-0000-000000000000']);
    expect(served.get(a)!.map((v) => [v.version, v.stage])).toEqual([
      [4, 'staging'],
      [2, 'production'],
      [1, 'deprecated'],
    ]);
    expect(served.get(a)![2].sunsetAt).toBeInstanceOf(Date);
    expect(served.get(b)).toEqual([]);
    expect(served.get('00000000-0000-0000-0000-000000000000')).toEqual([]);
    expect(await repo.servedVersions([])).toEqual(new Map());
  });
});
