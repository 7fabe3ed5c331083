import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { readArchive, SunsetScheduler } from '@app/models';
import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { createModel, fixtureFiles, transition, uploadVersion, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

describe('model registry: quantization and the sunset job (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let engineer: string;
  let consumer: string;
  let sourceSize: number;

  beforeAll(async () => {
    t = await startTestApp();
    admin = (await bootstrapAdmin(t)).accessToken;
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    await createModel(t, engineer, 'mlp');
    // 32 → 64 → 64 → 3: enough weights (25 KB) for quantization to pay for its manifest entries.
    const source = await uploadVersion(t, engineer, 'mlp', fixtureFiles('mlp-bench'), { labels: '["a","b","c"]' });
    sourceSize = source.json().sizeBytes;
  });
  afterAll(() => t?.close());

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const quantize = (dtype: string, version = 1, token = engineer) =>
    inject({ method: 'POST', url: `/v1/models/mlp/versions/${version}/quantize`, headers: authHeader(token), payload: { dtype } });

  it.each(['float16', 'uint16', 'uint8'])(
    'creates a %s draft version with the size reduction and output differences in its metrics',
    async (dtype) => {
      const res = await quantize(dtype);
      expect(res.statusCode).toBe(201);
      const v = res.json();
      expect(v).toEqual(
        expect.objectContaining({
          model: 'mlp',
          stage: 'draft',
          labels: ['a', 'b', 'c'],
          source: { quantizedFromVersion: 1, dtype },
        }),
      );
      const q = v.metrics.quantization;
      expect(q).toEqual(expect.objectContaining({ dtype, sourceVersion: 1, sizeBytesBefore: sourceSize, sizeBytesAfter: v.sizeBytes }));
      expect(q.sizeBytesAfter).toBeLessThan(q.sizeBytesBefore);
      expect(q.maxAbsDiff).toBeGreaterThanOrEqual(q.meanAbsDiff);
      expect(q.meanAbsDiff).toBeGreaterThanOrEqual(0);
      // Softmax outputs are in [0, 1]; quantization error is a small fraction of that.
      expect(q.maxAbsDiff).toBeLessThan(0.1);

      const artifact = await inject({ method: 'GET', url: `/v1/models/mlp/versions/${v.version}/artifact`, headers: authHeader(engineer) });
      const files = await readArchive(artifact.rawPayload, { maxEntries: 10, maxTotalBytes: 1 << 20 });
      const manifest = JSON.parse(files.get('model.json')!.toString()).weightsManifest;
      expect(manifest[0].weights.map((w: { quantization?: { dtype: string } }) => w.quantization?.dtype)).toContain(dtype);
    },
  );

  it('is deterministic: the same source and dtype give the same artifact and measurements', async () => {
    const a = (await quantize('uint8')).json();
    const b = (await quantize('uint8')).json();
    expect(b.sha256).toBe(a.sha256);
    expect(b.metrics.quantization).toEqual(a.metrics.quantization);
    expect(b.version).toBe(a.version + 1);
  });

  it('shrinks more with fewer bits', async () => {
    const list = await inject({ method: 'GET', url: '/v1/models/mlp/versions?limit=100', headers: authHeader(consumer) });
    const size = (dtype: string) =>
      list.json().items.find((v: { source: { dtype?: string } | null }) => v.source?.dtype === dtype).sizeBytes as number;
    expect(size('uint8')).toBeLessThan(size('uint16'));
    expect(size('float16')).toBeLessThan(sourceSize);
  });

  it('refuses a bad dtype (400), consumers (403), unknown versions (404) and retired sources (409)', async () => {
    expect((await quantize('int4')).statusCode).toBe(400);
    expect((await quantize('float16', 1, consumer)).statusCode).toBe(403);
    expect((await quantize('float16', 999)).json().code).toBe('MODEL_VERSION_NOT_FOUND');
    await createModel(t, engineer, 'old-mlp');
    const v = await versionIn(t, engineer, 'old-mlp', 'staging');
    await transition(t, admin, 'old-mlp', v, { to: 'retired' });
    const res = await inject({
      method: 'POST',
      url: `/v1/models/old-mlp/versions/${v}/quantize`,
      headers: authHeader(engineer),
      payload: { dtype: 'float16' },
    });
    expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 409, code: 'MODEL_VERSION_RETIRED' });
  });

  it('schedules the sunset sweep at start-up and a sweep retires what is due', async () => {
    // Every background job is a ScheduledJobs interval, listed under its name.
    expect(t.app.get(SchedulerRegistry).getIntervals()).toEqual(
      expect.arrayContaining([
        'models.retire-sunset-versions',
        'training.recover-stale-jobs',
        'predictions.purge-expired-payloads',
        'predictions.flush-usage-events',
        'auth.flush-api-key-usage',
      ]),
    );
    await createModel(t, engineer, 'swept');
    const v = await versionIn(t, engineer, 'swept', 'production');
    await transition(t, engineer, 'swept', v, { to: 'deprecated', sunsetAt: new Date(Date.now() + 60_000).toISOString() });
    expect(await t.app.get(SunsetScheduler).sweep()).toBe(0);
    await t.app.get(DataSource).query(`UPDATE model_versions SET sunset_at = now() - interval '1 second' WHERE stage = 'deprecated'`);
    expect(await t.app.get(SunsetScheduler).sweep()).toBe(1);
    const got = await inject({ method: 'GET', url: `/v1/models/swept/versions/${v}`, headers: authHeader(consumer) });
    expect(got.json().stage).toBe('retired');
  });
});
