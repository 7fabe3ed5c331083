import { DataSource } from 'typeorm';
import { TypeormUnitOfWork } from '@app/database';
import { IntegrationDatabase, integrationDatabase } from '@app/database/testing';
import { ModelEntity } from './entities/model.entity';
import { ModelTrafficEntity } from './entities/model-traffic.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { StageTransitionEntity } from './entities/stage-transition.entity';
import { TrafficSplit } from './repositories/model-traffic.repository';
import { TypeormModelTrafficRepository } from './repositories/model-traffic.typeorm-repository';

/** The traffic split with a shadow against a real (embedded) Postgres: the constraints are the point. */
describe('model traffic repository on TypeORM (canary and shadow)', () => {
  let db: IntegrationDatabase;
  let ds: DataSource;
  let repo: TypeormModelTrafficRepository;
  let uow: TypeormUnitOfWork;

  beforeAll(async () => {
    db = await integrationDatabase({
      migrations: ['Baseline1764000000000', 'Identity1764000001100', 'ModelRegistry1764000002000', 'ShadowTraffic1764000009000'],
      entities: [ModelEntity, ModelVersionEntity, StageTransitionEntity, ModelTrafficEntity],
    });
    ds = db.ds;
    repo = new TypeormModelTrafficRepository(ds);
    uow = new TypeormUnitOfWork(ds);
  }, 60_000);
  afterAll(() => db?.close());

  async function model(name: string, versions: number): Promise<string> {
    const [row] = await ds.query(`INSERT INTO models (name) VALUES ($1) RETURNING id`, [name]);
    for (let v = 1; v <= versions; v++) {
      await ds.query(
        `INSERT INTO model_versions (id, model_id, version, stage, framework, inputs, outputs, sha256, size_bytes, artifact_key, created_by)
         VALUES (gen_random_uuid(), $1, $2, 'staging', 'tfjs-layers', '[]', '[]', repeat('a', 64), 1, $3, 'int-spec')`,
        [row.id, v, `${name}/${v}`],
      );
    }
    return row.id;
  }
  const split = (modelId: string, changes: Partial<TrafficSplit>): TrafficSplit => ({
    modelId,
    canaryVersion: null,
    canaryPercent: null,
    shadowVersion: null,
    shadowPercent: null,
    shadowSince: null,
    updatedBy: 'int-spec',
    ...changes,
  });
  const save = (s: TrafficSplit) => uow.run((tx) => repo.save(s, tx));
  const since = new Date('2030-01-01T00:00:00.000Z');

  it('stores a shadow without a canary, and a split with neither removes the row', async () => {
    const id = await model('shadow-only', 2);
    await save(split(id, { shadowVersion: 2, shadowPercent: 100, shadowSince: since }));
    expect(await repo.find(id)).toMatchObject({
      canaryVersion: null,
      canaryPercent: null,
      shadowVersion: 2,
      shadowPercent: 100,
      shadowSince: since,
    });
    await save(split(id, {}));
    expect(await repo.find(id)).toBeNull();
  });

  it.each([
    ['a shadow percent above 100', { shadowVersion: 2, shadowPercent: 101, shadowSince: since }, 'model_traffic_shadow_percent_range'],
    ['a shadow percent below 1', { shadowVersion: 2, shadowPercent: 0.5, shadowSince: since }, 'model_traffic_shadow_percent_range'],
    ['a shadow without its percent', { shadowVersion: 2, shadowSince: since }, 'model_traffic_shadow_complete'],
    ['a shadow without its start', { shadowVersion: 2, shadowPercent: 5 }, 'model_traffic_shadow_complete'],
    ['a canary without its percent', { canaryVersion: 2 }, 'model_traffic_canary_pair'],
    [
      'a shadow of a version that does not exist',
      { shadowVersion: 9, shadowPercent: 5, shadowSince: since },
      'model_traffic_shadow_version_fkey',
    ],
  ])('the database refuses %s', async (_, changes: Partial<TrafficSplit>, constraint) => {
    const id = await model(`refused-${Math.random().toString(36).slice(2, 8)}`, 2);
    await expect(
      ds.query(
        `INSERT INTO model_traffic (model_id, canary_version, canary_percent, shadow_version, shadow_percent, shadow_since, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'int-spec')`,
        [
          id,
          changes.canaryVersion ?? null,
          changes.canaryPercent ?? null,
          changes.shadowVersion ?? null,
          changes.shadowPercent ?? null,
          changes.shadowSince ?? null,
        ],
      ),
    ).rejects.toThrow(constraint);
  });

  it('the database refuses a row with neither a canary nor a shadow', async () => {
    const id = await model('empty-row', 1);
    await expect(ds.query(`INSERT INTO model_traffic (model_id, updated_by) VALUES ($1, 'int-spec')`, [id])).rejects.toThrow(
      /model_traffic_not_empty/,
    );
  });

  it('clearCanaryOf takes the version out as canary and as shadow, keeping the other part and removing an emptied row', async () => {
    const a = await model('clear-a', 3);
    await save(split(a, { canaryVersion: 2, canaryPercent: 10, shadowVersion: 3, shadowPercent: 50, shadowSince: since }));
    expect(await uow.run((tx) => repo.clearCanaryOf(a, 3, tx))).toBe(false);
    expect(await repo.find(a)).toMatchObject({
      canaryVersion: 2,
      canaryPercent: 10,
      shadowVersion: null,
      shadowPercent: null,
      shadowSince: null,
    });
    expect(await uow.run((tx) => repo.clearCanaryOf(a, 2, tx))).toBe(true);
    expect(await repo.find(a)).toBeNull();

    const b = await model('clear-b', 3);
    await save(split(b, { canaryVersion: 2, canaryPercent: 10, shadowVersion: 3, shadowPercent: 50, shadowSince: since }));
    expect(await uow.run((tx) => repo.clearCanaryOf(b, 2, tx))).toBe(true);
    expect(await repo.find(b)).toMatchObject({ canaryVersion: null, shadowVersion: 3 });

    const c = await model('clear-c', 2);
    await save(split(c, { canaryVersion: 2, canaryPercent: 10, shadowVersion: 2, shadowPercent: 50, shadowSince: since }));
    expect(await uow.run((tx) => repo.clearCanaryOf(c, 2, tx))).toBe(true);
    expect(await repo.find(c)).toBeNull();
  });
});
