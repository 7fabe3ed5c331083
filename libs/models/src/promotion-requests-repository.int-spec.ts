import { DataSource } from 'typeorm';
import { Transaction, TypeormUnitOfWork } from '@app/database';
import { IntegrationDatabase, integrationDatabase } from '@app/database/testing';
import { ModelEntity } from './entities/model.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { PromotionRequestEntity } from './entities/promotion-request.entity';
import { StageTransitionEntity } from './entities/stage-transition.entity';
import { TypeormModelVersionsRepository } from './repositories/model-versions.typeorm-repository';
import { TypeormPromotionRequestsRepository } from './repositories/promotion-requests.typeorm-repository';

/** Promotion requests and the deprecated-versions listing against a real (embedded) Postgres: constraints and SQL. */
describe('promotion requests and deprecated versions on TypeORM', () => {
  let db: IntegrationDatabase;
  let ds: DataSource;
  let requests: TypeormPromotionRequestsRepository;

  beforeAll(async () => {
    db = await integrationDatabase({
      migrations: ['Baseline1764000000000', 'Identity1764000001100', 'ModelRegistry1764000002000', 'PromotionRequests1764000007000'],
      entities: [ModelEntity, ModelVersionEntity, StageTransitionEntity, PromotionRequestEntity],
    });
    ds = db.ds;
    requests = new TypeormPromotionRequestsRepository(ds);
  }, 60_000);
  afterAll(() => db?.close());

  async function model(name: string, stages: string[], sunsetDays: number[] = []): Promise<{ id: string; versions: string[] }> {
    const [row] = await ds.query(`INSERT INTO models (name) VALUES ($1) RETURNING id`, [name]);
    const versions: string[] = [];
    for (const [i, stage] of stages.entries()) {
      const days = sunsetDays[i] ?? 1;
      const dated = stage === 'deprecated' ? `now() - interval '1 day', now() + interval '${days} days'` : 'NULL, NULL';
      const [v] = await ds.query(
        `INSERT INTO model_versions (id, model_id, version, stage, framework, inputs, outputs, sha256, size_bytes, artifact_key, created_by, deprecated_at, sunset_at)
         VALUES (gen_random_uuid(), $1, $2, $3, 'tfjs-layers', '[]', '[]', repeat('a', 64), 1, $4, 'int-spec', ${dated}) RETURNING id`,
        [row.id, i + 1, stage, `${name}/${i + 1}`],
      );
      versions.push(v.id);
    }
    return { id: row.id, versions };
  }

  const inTx = <T>(work: (tx: Transaction) => Promise<T>) => new TypeormUnitOfWork(ds).run(work);

  it('keeps one pending request per version and never lets the requester decide (database constraints)', async () => {
    const m = await model('req-a', ['staging', 'staging']);
    const base = {
      modelId: m.id,
      modelName: 'req-a',
      fromStage: 'staging' as const,
      force: false,
      reason: null,
      requestedBy: 'u-1',
      requestedByName: 'a@x',
    };
    const first = await inTx((tx) => requests.insert({ ...base, versionId: m.versions[0], version: 1 }, tx));
    await expect(inTx((tx) => requests.insert({ ...base, versionId: m.versions[0], version: 1 }, tx))).rejects.toThrow(
      /promotion_requests_one_pending/,
    );
    await expect(
      ds.query(`UPDATE promotion_requests SET status = 'approved', decided_by = 'u-1', decided_at = now() WHERE id = $1`, [first.id]),
    ).rejects.toThrow(/promotion_requests_not_self/);
    await expect(ds.query(`UPDATE promotion_requests SET status = 'approved' WHERE id = $1`, [first.id])).rejects.toThrow(
      /promotion_requests_decided/,
    );

    const decided = await inTx((tx) =>
      requests.decide(first.id, { status: 'approved', decidedBy: 'u-2', decidedByName: 'b@x', comment: 'ok' }, tx),
    );
    expect(decided).toMatchObject({ status: 'approved', decidedBy: 'u-2', comment: 'ok' });
    expect(decided.decidedAt).toBeInstanceOf(Date);
    // Decided: a new request for the same version may be made; marking stale takes only pending ones.
    const second = await inTx((tx) => requests.insert({ ...base, versionId: m.versions[0], version: 1 }, tx));
    const stale = await inTx((tx) => requests.markStale(m.versions[0], tx));
    expect(stale.map((r) => [r.id, r.status])).toEqual([[second.id, 'stale']]);
    const listed = await requests.list({ model: 'req-a', limit: 10, offset: 0 });
    expect(listed.total).toBe(2);
    expect(listed.rows.map((r) => r.status).sort()).toEqual(['approved', 'stale']);
    expect((await requests.list({ status: 'stale', limit: 10, offset: 0 })).rows.map((r) => r.id)).toEqual([second.id]);
  });

  it('lists deprecated versions of live models, soonest sunset first, before a date when asked', async () => {
    await model('dep-a', ['deprecated', 'production'], [30]);
    await model('dep-b', ['deprecated', 'deprecated', 'production'], [5, 60]);
    const gone = await model('dep-gone', ['deprecated', 'production'], [1]);
    await ds.query(`UPDATE models SET deleted_at = now() WHERE id = $1`, [gone.id]);
    const repo = new TypeormModelVersionsRepository(ds);
    const all = await repo.listDeprecated({ limit: 10, offset: 0 });
    const ours = all.rows.filter((r) => r.model.name.startsWith('dep-')).map((r) => `${r.model.name}:${r.version.version}`);
    expect(ours).toEqual(['dep-b:1', 'dep-a:1', 'dep-b:2']);
    const soon = await repo.listDeprecated({ before: new Date(Date.now() + 10 * 86_400_000), limit: 10, offset: 0 });
    expect(soon.rows.filter((r) => r.model.name.startsWith('dep-')).map((r) => `${r.model.name}:${r.version.version}`)).toEqual([
      'dep-b:1',
    ]);
  });
});
