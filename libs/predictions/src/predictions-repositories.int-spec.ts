import { DataSource } from 'typeorm';
import { TypeormUnitOfWork } from '@app/database';
import { ModelEntity } from '@app/models';
import { ModelServingSettingsEntity, PredictionLogEntity, UsageEventEntity } from './entities';
import { TypeormPredictionLogsRepository } from './serving/prediction-logs.typeorm-repository';
import { TypeormServingSettingsRepository } from './serving/serving-settings.typeorm-repository';
import type { UsageRecord } from './usage/usage-events.repository';
import { TypeormUsageEventsRepository } from './usage/usage-events.typeorm-repository';
import { IntegrationDatabase, integrationDatabase } from '@app/database/testing';
import { aUsageRecord, USAGE_T0 as T0 } from './testing/fixtures';

/** predictions' TypeORM repositories against a real (embedded) Postgres: the SQL is the point. */
describe('predictions repositories on TypeORM', () => {
  let db: IntegrationDatabase;
  let ds: DataSource;
  let modelId: string;

  beforeAll(async () => {
    // Only what these tables need, on PGlite or (TEST_DATABASE_URL) a fresh Postgres database.
    db = await integrationDatabase({
      migrations: [
        'Baseline1764000000000',
        'Identity1764000001100',
        'ModelRegistry1764000002000',
        'Serving1764000003000',
        'UsageRollups1764000006000',
        'Tracing1764000010000',
      ],
      entities: [ModelEntity, UsageEventEntity, ModelServingSettingsEntity, PredictionLogEntity],
    });
    ds = db.ds;
    const [row] = await ds.query(`INSERT INTO models (name) VALUES ('int-spec-iris') RETURNING id`);
    modelId = row.id;
  }, 60_000);
  afterAll(() => db?.close());

  const event = (overrides: Partial<UsageRecord>): UsageRecord => aUsageRecord({ modelName: 'int-spec-iris', ...overrides });

  it('usage events: a batch in one statement, all or nothing; percentiles and groups by Postgres', async () => {
    const usage = new TypeormUsageEventsRepository(ds);
    await usage.insertBatch([
      event({ latencyMs: 1 }),
      event({ latencyMs: 2, status: 500, rows: 3 }),
      event({ latencyMs: 3, version: null, callerId: null }),
    ]);
    // A row the table refuses (another status, so not folded into the first): neither is written.
    await expect(usage.insertBatch([event({}), event({ status: 201, rows: -1 })])).rejects.toThrow(/usage_events_rows_nonnegative/);
    const range = { from: new Date(T0), to: new Date(T0 + 1) };
    expect(await usage.aggregate(range, 'model')).toEqual([
      { key: 'int-spec-iris', requests: 3, rows: 5, errors: 1, p50Ms: 2, p95Ms: 2.9, computeMs: 3 },
    ]);
    expect((await usage.aggregate(range, 'version')).map((r) => [r.key, r.requests])).toEqual([
      ['int-spec-iris:1', 2],
      ['int-spec-iris:-', 1],
    ]);
    expect((await usage.aggregate(range, 'caller')).map((r) => [r.key, r.requests])).toEqual([
      ['k-1', 2],
      ['anonymous', 1],
    ]);
    expect(await usage.aggregate({ from: new Date(T0 + 1), to: new Date(T0 + 2) }, 'model')).toEqual([]);
  });

  it('serving settings: none until written; an upsert inserts, then replaces', async () => {
    const settings = new TypeormServingSettingsRepository(ds);
    expect(await settings.findByModelId(modelId)).toBeNull();
    const first = await settings.upsert(modelId, { responseCacheTtlSeconds: 60, logPayloads: false, payloadRetentionDays: 30 }, 'u-1');
    expect(first).toMatchObject({ modelId, responseCacheTtlSeconds: 60, logPayloads: false, payloadRetentionDays: 30, updatedBy: 'u-1' });
    const second = await settings.upsert(modelId, { responseCacheTtlSeconds: null, logPayloads: true, payloadRetentionDays: 7 }, 'u-2');
    expect(second).toMatchObject({ responseCacheTtlSeconds: null, logPayloads: true, payloadRetentionDays: 7, updatedBy: 'u-2' });
    await expect(
      settings.upsert(modelId, { responseCacheTtlSeconds: 0, logPayloads: true, payloadRetentionDays: 7 }, 'u-2'),
    ).rejects.toThrow();
  });

  it('prediction logs: stored, and purged past expiry under the exclusive job', async () => {
    const logs = new TypeormPredictionLogsRepository(ds);
    const now = new Date('2030-01-01T00:00:00.000Z');
    const base = { modelId, version: 1, requestId: 'r', callerId: null, input: [[1, 2]], output: [[0.5]] };
    await logs.insertBatch([
      { ...base, expiresAt: new Date(now.getTime() - 1000) },
      { ...base, expiresAt: new Date(now.getTime() + 1000) },
    ]);
    const run = await new TypeormUnitOfWork(ds).exclusively('int-spec.purge', () => logs.deleteExpired(now));
    expect(run).toEqual({ ran: true, result: 1 });
    expect(await ds.query(`SELECT input, output FROM prediction_logs WHERE model_id = $1`, [modelId])).toEqual([
      { input: [[1, 2]], output: [[0.5]] },
    ]);
  });
});
