import { DataSource } from 'typeorm';
import { IntegrationDatabase, integrationDatabase } from '@app/database/testing';
import { UsageEventEntity } from '../entities';
import type { UsageRecord } from './usage-events.repository';
import { TypeormUsageEventsRepository } from './usage-events.typeorm-repository';
import { UsageRollup } from './usage-rollup';

/** The usage ledger's reports against a real (embedded) Postgres: time buckets, the model filter, caller names. */
describe('usage events on TypeORM: buckets, filter, caller names', () => {
  let db: IntegrationDatabase;
  let ds: DataSource;
  let usage: TypeormUsageEventsRepository;
  const T0 = Date.parse('2030-01-10T00:00:00.000Z');
  const H = 3_600_000;
  let userId: string;
  let keyId: string;

  beforeAll(async () => {
    db = await integrationDatabase({
      migrations: [
        'Baseline1764000000000',
        'Identity1764000001100',
        'ModelRegistry1764000002000',
        'Serving1764000003000',
        'UsageRollups1764000006000',
        'Tracing1764000010000',
      ],
      entities: [UsageEventEntity],
    });
    ds = db.ds;
    // A session time zone half an hour off UTC: date_trunc would follow it unless told otherwise.
    if (db.kind === 'postgres') {
      await ds.query(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'Asia/Kolkata'); END $$`);
    }
    await ds.query(`SET TIME ZONE 'Asia/Kolkata'`);
    [{ id: userId }] = await ds.query(
      `INSERT INTO users (email, password_hash, roles) VALUES ('ana@example.com', 'x', ARRAY['consumer']) RETURNING id`,
    );
    [{ id: keyId }] = await ds.query(
      `INSERT INTO api_keys (name, role, key_prefix, key_hash, client_id, client_secret_hash)
       VALUES ('batch-scorer', 'consumer', 'mg_x', 'h1', 'c1', 's1') RETURNING id`,
    );
    usage = new TypeormUsageEventsRepository(ds);
    const event = (at: number, changes: Partial<UsageRecord>): UsageRecord => ({
      at: new Date(at),
      modelName: 'iris',
      version: 1,
      callerId: keyId,
      callerKind: 'api-key',
      api: 'v1',
      status: 200,
      rows: 1,
      latencyMs: 10,
      computeMs: 1,
      ...changes,
    });
    await usage.insertBatch([
      event(T0 + 5 * 60_000, { latencyMs: 4 }),
      event(T0 + 59 * 60_000, { latencyMs: 6, status: 500, rows: 3 }),
      event(T0 + 10 * 60_000, { modelName: 'wine', callerId: userId, callerKind: 'user' }),
      event(T0 + H + 1, { version: 2 }),
      event(T0 + 3 * H, { callerId: null, callerKind: null }),
      event(T0 - 1, { modelName: 'wine', callerId: 'deleted-caller' }),
    ]);
  }, 60_000);
  afterAll(() => db?.close());

  const range = { from: new Date(T0 - H), to: new Date(T0 + 4 * H) };
  const iso = (ms: number) => new Date(ms).toISOString();

  it('totals per UTC hour, ordered by bucket then most requests; hours without events are absent', async () => {
    const rows = await usage.aggregate(range, 'model', { interval: 'hour' });
    expect(rows.map((r) => [r.bucket?.toISOString(), r.key, r.requests])).toEqual([
      [iso(T0 - H), 'wine', 1],
      [iso(T0), 'iris', 2],
      [iso(T0), 'wine', 1],
      [iso(T0 + H), 'iris', 1],
      [iso(T0 + 3 * H), 'iris', 1],
    ]);
    expect(rows[1]).toEqual({ key: 'iris', bucket: new Date(T0), requests: 2, rows: 4, errors: 1, p50Ms: 5, p95Ms: 5.9, computeMs: 2 });
  });

  it('totals per UTC day', async () => {
    const rows = await usage.aggregate(range, 'version', { interval: 'day' });
    expect(rows.map((r) => [r.bucket?.toISOString(), r.key, r.requests])).toEqual([
      ['2030-01-09T00:00:00.000Z', 'wine:1', 1],
      ['2030-01-10T00:00:00.000Z', 'iris:1', 3],
      ['2030-01-10T00:00:00.000Z', 'iris:2', 1],
      ['2030-01-10T00:00:00.000Z', 'wine:1', 1],
    ]);
  });

  it("filters to one model's events", async () => {
    expect((await usage.aggregate(range, 'version', { model: 'iris' })).map((r) => [r.key, r.requests])).toEqual([
      ['iris:1', 3],
      ['iris:2', 1],
    ]);
    expect(await usage.aggregate(range, 'model', { model: 'nope', interval: 'day' })).toEqual([]);
  });

  it('names callers from the users and API keys tables: anonymous for none, null for one that no longer exists', async () => {
    const rows = await usage.aggregate(range, 'caller');
    expect(rows[0]).toMatchObject({ key: keyId, name: 'batch-scorer', requests: 3 });
    // The ties are ordered by key in the database's collation (ids are random): compared as a set.
    expect(new Set(rows.slice(1).map((r) => `${r.key} ${r.name} ${r.requests}`))).toEqual(
      new Set(['anonymous anonymous 1', 'deleted-caller null 1', `${userId} ana@example.com 1`]),
    );
    const hourly = await usage.aggregate(range, 'caller', { interval: 'hour', model: 'wine' });
    expect(hourly.map((r) => [r.bucket?.toISOString(), r.key, r.name])).toEqual([
      [iso(T0 - H), 'deleted-caller', null],
      [iso(T0), userId, 'ana@example.com'],
    ]);
  });

  it('leaves the other groupings without names or buckets', async () => {
    const [row] = await usage.aggregate({ from: new Date(T0), to: new Date(T0 + H) }, 'model');
    expect(Object.keys(row).sort()).toEqual(['computeMs', 'errors', 'key', 'p50Ms', 'p95Ms', 'requests', 'rows']);
  });

  it('reports requests folded into one row exactly as the same requests one per row', async () => {
    const at = Date.parse('2031-02-03T04:05:06.000Z');
    const base: UsageRecord = {
      at: new Date(at),
      modelName: 'rollup',
      version: 1,
      callerId: keyId,
      callerKind: 'api-key',
      api: 'v1',
      status: 200,
      rows: 1,
      latencyMs: 1,
      computeMs: 0.5,
    };
    const latencies = [7, 1, 3, 9, 5, 2, 8];
    // One second, one caller: folded into one row (and a 500 of the same second into another).
    const rollup = new UsageRollup();
    latencies.forEach((latencyMs, i) => rollup.add({ ...base, at: new Date(at + i * 100), latencyMs, rows: i + 1 }));
    rollup.add({ ...base, status: 500, latencyMs: 4 });
    await usage.insertBatch(rollup.drain());
    const stored = await ds.query(
      `SELECT status, requests, latencies_ms, latency_ms, rows FROM usage_events WHERE model_name = 'rollup' ORDER BY status`,
    );
    expect(stored).toEqual([
      { status: 200, requests: 7, latencies_ms: latencies, latency_ms: 9, rows: 28 },
      { status: 500, requests: 1, latencies_ms: null, latency_ms: 4, rows: 1 },
    ]);
    // The same requests one per row, under another model name: every figure agrees.
    await usage.insertBatch([
      ...latencies.map((latencyMs, i) => ({ ...base, modelName: 'single', at: new Date(at + i * 1000), latencyMs, rows: i + 1 })),
      { ...base, modelName: 'single', status: 500, latencyMs: 4 },
    ]);
    const window = { from: new Date(at - 1), to: new Date(at + 10_000) };
    const [folded] = await usage.aggregate(window, 'model', { model: 'rollup' });
    const [single] = await usage.aggregate(window, 'model', { model: 'single' });
    expect({ ...folded, key: 'x' }).toEqual({ ...single, key: 'x' });
    expect(folded).toMatchObject({ requests: 8, rows: 29, errors: 1, p50Ms: 4.5, computeMs: 4 });
  });

  it("keeps a traced row's trace id, and refuses one that is not 32 hex digits (a database constraint)", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const row: UsageRecord = {
      at: new Date(T0),
      modelName: 'traced',
      version: 1,
      callerId: null,
      callerKind: null,
      api: 'v1',
      status: 200,
      rows: 1,
      latencyMs: 1,
      computeMs: 0.5,
    };
    await usage.insertBatch([{ ...row, traceId }, row]);
    const rows = (await ds.query(`SELECT trace_id FROM usage_events WHERE model_name = 'traced' ORDER BY trace_id NULLS LAST`)) as {
      trace_id: string | null;
    }[];
    expect(rows.map((r) => r.trace_id)).toEqual([traceId, null]);
    await expect(usage.insertBatch([{ ...row, traceId: 'not-a-trace' }])).rejects.toThrow(/usage_events_trace_id_format/);
    await ds.query(`DELETE FROM usage_events WHERE model_name = 'traced'`);
  });

  it('refuses a row whose latencies do not match its request count (a database constraint)', async () => {
    await expect(
      ds.query(
        `INSERT INTO usage_events (at, model_name, api, status, latency_ms, requests, latencies_ms) VALUES (now(), 'x', 'v1', 200, 1, 3, '{1,2}')`,
      ),
    ).rejects.toThrow(/usage_events_latencies_match/);
    await expect(
      ds.query(`INSERT INTO usage_events (at, model_name, api, status, latency_ms, requests) VALUES (now(), 'x', 'v1', 200, 1, 2)`),
    ).rejects.toThrow(/usage_events_single_or_listed/);
  });
});
