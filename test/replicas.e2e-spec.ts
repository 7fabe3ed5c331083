import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { routesToCanary } from '../libs/predictions/src/routing/canary';
import { startCluster, Cluster } from './support/cluster';
import { readFixtureReference } from './support/fixtures';
import { multipart } from './support/multipart';
import { fixtureFiles } from './support/registry';
import { startTcpProxy, TcpProxy } from './support/tcp-proxy';
import { BLOBS_FEATURES, blobsSplit, parseSse } from './support/training';
import { describeWithServers } from './support/servers';

/**
 * Two API replicas and a worker, as separate processes on one Postgres database, one Redis
 * (reached through a TCP proxy the test can cut) and one S3-compatible store (s3rver) for
 * artifacts, each process with a disk of its own. What only shows with more than one process:
 * an artifact stored through one replica is served by the other, registry and credential changes
 * made on one replica reach the other's caches at once (the resolver TTL is set to a minute here,
 * so only the invalidation can explain it), the rate limit is one budget across replicas,
 * training runs in the worker and streams from any replica, and an outage of Redis costs neither
 * predictions nor readiness.
 */
const REDIS = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const LIMIT = 30;
const PROPAGATION_MS = 2_000;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describeWithServers(['postgres', 'redis'], 'several API replicas on one Postgres and one Redis (e2e)', () => {
  let proxy: TcpProxy;
  let cluster: Cluster;
  let A: string;
  let B: string;
  let adminToken: string;
  const instances = readFixtureReference('classifier').inputs.slice(0, 1);

  async function call(
    base: string,
    method: string,
    path: string,
    auth: Record<string, string>,
    body?: unknown,
  ): Promise<{ status: number; body: Json; headers: Headers }> {
    const isForm = body instanceof Object && 'payload' in body && 'headers' in body;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...auth,
        ...(isForm
          ? (body as { headers: Record<string, string> }).headers
          : body === undefined
            ? {}
            : { 'content-type': 'application/json' }),
      },
      body: isForm ? new Uint8Array((body as { payload: Buffer }).payload) : body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
  }

  async function ok(base: string, method: string, path: string, auth: Record<string, string>, body?: unknown): Promise<Json> {
    const res = await call(base, method, path, auth, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /**
   * A new API key: each scenario gets callers of its own, since the rate limit is per caller and
   * small here. Keys are made by admin keys that are themselves replaced before their budget runs out.
   */
  let keyMaker: { header: Record<string, string>; uses: number } | undefined;
  async function apiKey(role: 'admin' | 'ml-engineer' | 'consumer'): Promise<{ id: string; header: Record<string, string> }> {
    if (!keyMaker || keyMaker.uses >= LIMIT - 5) {
      const maker = await ok(
        A,
        'POST',
        '/v1/api-keys',
        { authorization: `Bearer ${adminToken}` },
        { name: 'replicas-key-maker', role: 'admin' },
      );
      keyMaker = { header: { 'x-api-key': maker.key as string }, uses: 0 };
    }
    keyMaker.uses += 1;
    const key = await ok(A, 'POST', '/v1/api-keys', keyMaker.header, { name: `replicas-${role}`, role });
    return { id: key.id as string, header: { 'x-api-key': key.key as string } };
  }

  async function upload(admin: Record<string, string>, model: string): Promise<number> {
    return (await ok(A, 'POST', `/v1/models/${model}/versions`, admin, await multipart(fixtureFiles('classifier')))).version as number;
  }

  const moveTo = (admin: Record<string, string>, model: string, version: number, to: string) =>
    ok(A, 'POST', `/v1/models/${model}/versions/${version}/transitions`, admin, { to });

  /** Polls until `read` returns what is expected, failing once the deadline passes. */
  async function eventually<T>(
    what: string,
    read: () => Promise<T>,
    expected: (value: T) => boolean,
    withinMs = PROPAGATION_MS,
  ): Promise<T> {
    const deadline = Date.now() + withinMs;
    let last: T;
    do {
      last = await read();
      if (expected(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    throw new Error(`${what}: not seen within ${withinMs} ms (last: ${JSON.stringify(last)})`);
  }

  const predictedVersion = async (base: string, path: string, caller: Record<string, string>) => {
    const res = await call(base, 'POST', path, caller, { instances });
    if (res.status !== 200) throw new Error(`predict ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.version as number;
  };

  const ready = async (base: string) => call(base, 'GET', '/health/ready', {});

  beforeAll(async () => {
    proxy = await startTcpProxy(REDIS.hostname, Number(REDIS.port || 6379));
    cluster = await startCluster({
      replicas: 2,
      worker: true,
      redisUrl: `redis://${proxy.address}`,
      cleanupRedisUrl: REDIS.toString(),
      env: {
        RATE_LIMIT_PER_MINUTE: String(LIMIT),
        AUTH_RATE_LIMIT_PER_MINUTE: '100',
        SERVING_RESOLVE_TTL_MS: '60000',
        SERVING_WARM_ON_START: 'false',
        TRAINING_HEARTBEAT_INTERVAL_MS: '500',
        TRAINING_SWEEP_INTERVAL_SECONDS: '0',
        SUNSET_SWEEP_INTERVAL_SECONDS: '0',
        PAYLOAD_PURGE_INTERVAL_SECONDS: '0',
        DRIFT_FLUSH_INTERVAL_MS: '200',
      },
    });
    [A, B] = cluster.urls;
    adminToken = (await ok(A, 'POST', '/v1/auth/login', {}, cluster.admin)).accessToken as string;
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    await proxy?.close();
  }, 60_000);

  it('an artifact uploaded through A lives in the shared S3 bucket, not on a disk, and B serves it', async () => {
    const admin = (await apiKey('admin')).header;
    const model = `stored-${randomBytes(3).toString('hex')}`;
    await ok(A, 'POST', '/v1/models', admin, { name: model });
    const version = await upload(admin, model);
    await moveTo(admin, model, version, 'staging');
    const caller = (await apiKey('consumer')).header;
    expect(await predictedVersion(B, `/v1/models/${model}/versions/${version}/predict`, caller)).toBe(version);
    // The download is reproducible: the same bytes from either replica.
    const download = async (base: string) => {
      const res = await fetch(`${base}/v1/models/${model}/versions/${version}/artifact`, { headers: admin });
      expect(res.status).toBe(200);
      return createHash('sha256')
        .update(Buffer.from(await res.arrayBuffer()))
        .digest('hex');
    };
    expect(await download(B)).toBe(await download(A));
    const s3 = cluster.s3!;
    const client = s3.server.client();
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'artifacts/' }));
      expect((listed.Contents ?? []).filter((o) => o.Key!.endsWith('.manifest.json')).length).toBeGreaterThanOrEqual(1);
    } finally {
      client.destroy();
    }
    for (const dir of ['api-0', 'api-1']) expect(existsSync(join(cluster.dataDir, dir, 'artifacts'))).toBe(false);
    // S3 storage: no replica warned that its artifacts are not shared.
    for (const proc of [...cluster.replicas, cluster.worker!]) expect(proc.output()).not.toMatch(/stored on the local filesystem/);
  });

  describe('registry changes made on A are served by B at once', () => {
    const model = `replicated-${randomBytes(3).toString('hex')}`;
    let admin: Record<string, string>;

    beforeAll(async () => {
      admin = (await apiKey('admin')).header;
      await ok(A, 'POST', '/v1/models', admin, { name: model });
      const v1 = await upload(admin, model);
      await moveTo(admin, model, v1, 'staging');
      await moveTo(admin, model, v1, 'production');
    });

    it('a promotion to production', async () => {
      const caller = (await apiKey('consumer')).header;
      expect(await predictedVersion(B, `/v1/models/${model}/predict`, caller)).toBe(1);
      const v2 = await upload(admin, model);
      await moveTo(admin, model, v2, 'staging');
      expect(await predictedVersion(B, `/v1/models/${model}/predict`, caller)).toBe(1);
      await moveTo(admin, model, v2, 'production');
      await eventually(
        'v2 in production on B',
        () => predictedVersion(B, `/v1/models/${model}/predict`, caller),
        (v) => v === v2,
      );
    });

    it('an alias moved', async () => {
      const caller = (await apiKey('consumer')).header;
      await ok(A, 'PUT', `/v1/models/${model}/aliases/stable`, admin, { version: 1 });
      expect(await predictedVersion(B, `/v1/models/${model}/aliases/stable/predict`, caller)).toBe(1);
      await ok(A, 'PUT', `/v1/models/${model}/aliases/stable`, admin, { version: 2 });
      await eventually(
        'alias moved on B',
        () => predictedVersion(B, `/v1/models/${model}/aliases/stable/predict`, caller),
        (v) => v === 2,
      );
    });

    it('a canary split', async () => {
      const v3 = await upload(admin, model);
      await moveTo(admin, model, v3, 'staging');
      // A caller whose sticky bucket falls in a 50 % canary (half of all keys do).
      let caller = await apiKey('consumer');
      while (!routesToCanary(caller.id, model, 50)) caller = await apiKey('consumer');
      expect(await predictedVersion(B, `/v1/models/${model}/predict`, caller.header)).toBe(2);
      await ok(A, 'PUT', `/v1/models/${model}/traffic`, admin, { canary: { version: v3, percent: 50 } });
      await eventually(
        'canary on B',
        () => predictedVersion(B, `/v1/models/${model}/predict`, caller.header),
        (v) => v === v3,
      );
    });
  });

  it('an API key revoked on A is refused by B', async () => {
    const key = await apiKey('consumer');
    expect((await call(B, 'GET', '/v1/models', key.header)).status).toBe(200);
    const revoked = await call(A, 'DELETE', `/v1/api-keys/${key.id}`, (await apiKey('admin')).header);
    expect(revoked.status).toBe(204);
    await eventually(
      'revocation on B',
      async () => (await call(B, 'GET', '/v1/models', key.header)).status,
      (s) => s === 401,
    );
  });

  /** Alternates A and B until the first 429: how many were let through. */
  async function sharedBudget(caller: Record<string, string>): Promise<{ allowed: number; refused: { status: number; headers: Headers } }> {
    for (let i = 0; i < LIMIT * 3; i++) {
      const res = await call(i % 2 ? B : A, 'GET', '/v1/models?limit=1', caller);
      if (res.status === 429) return { allowed: i, refused: res };
      if (res.status !== 200) throw new Error(`request ${i}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    throw new Error(`no 429 within ${LIMIT * 3} requests`);
  }

  it('the rate limit is one budget across replicas', async () => {
    const { allowed, refused } = await sharedBudget((await apiKey('consumer')).header);
    expect(allowed).toBe(LIMIT);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  /** The version the worker trained (the training scenario below), for the drift scenario after it. */
  let trained: { model: string; version: number } | undefined;

  it('a training job created on A runs in the worker and streams from B', async () => {
    const engineer = (await apiKey('ml-engineer')).header;
    const dataset = await ok(
      A,
      'POST',
      '/v1/datasets',
      engineer,
      await multipart([{ field: 'file', filename: 'blobs.csv', data: blobsSplit(60).training, contentType: 'text/csv' }], {
        name: 'blobs',
      }),
    );
    const job = await ok(A, 'POST', '/v1/training-jobs', engineer, {
      modelName: `trained-${randomBytes(3).toString('hex')}`,
      datasetId: dataset.id,
      task: 'classification',
      features: BLOBS_FEATURES,
      target: 'species',
      architecture: { hiddenLayers: [8] },
      hyperparameters: { epochs: 5, batchSize: 32, learningRate: 0.05, seed: 3 },
    });
    const stream = await fetch(`${B}/v1/training-jobs/${job.id}/events`, { headers: engineer });
    expect(stream.status).toBe(200);
    const events = parseSse(await stream.text());
    expect(events.filter((e) => e.event === 'progress').map((e) => e.data.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { id: job.id, status: 'succeeded' } });

    const db = new Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ worker_id: string }>(`SELECT worker_id FROM training_jobs WHERE id = $1`, [job.id]);
      expect(rows[0].worker_id).toMatch(new RegExp(`:${cluster.worker!.pid}:`));
    } finally {
      await db.end();
    }
    const done = await ok(B, 'GET', `/v1/training-jobs/${job.id}`, engineer);
    trained = { model: done.modelName as string, version: done.modelVersion as number };
  });

  it('the worker-trained version kept its training profile, and rows served by both replicas meet in one drift report', async () => {
    expect(trained).toBeDefined();
    const { model, version } = trained!;
    const engineer = (await apiKey('ml-engineer')).header;
    const profile = await ok(B, 'GET', `/v1/models/${model}/versions/${version}/profile`, engineer);
    expect(profile).toMatchObject({ source: 'training', revision: 1 });
    const rows = blobsSplit(60).heldOut.x;
    for (const base of [A, B]) {
      const res = await call(base, 'POST', `/v1/models/${model}/versions/${version}/predict`, (await apiKey('consumer')).header, {
        instances: rows,
      });
      expect(res.status).toBe(200);
    }
    // A's counts reach the database on its flush (200 ms here); B flushes its own before reporting.
    const report = await eventually(
      "both replicas' rows in the drift report",
      () => ok(B, 'GET', `/v1/models/${model}/versions/${version}/drift`, engineer),
      (r) => r.rows === 2 * rows.length,
    );
    expect(report.features.map((f: Json) => f.name)).toEqual(BLOBS_FEATURES);
  });

  describe('with Redis cut off', () => {
    const model = `outage-${randomBytes(3).toString('hex')}`;
    let admin: Record<string, string>;
    let caller: Record<string, string>;

    beforeAll(async () => {
      admin = (await apiKey('admin')).header;
      caller = (await apiKey('consumer')).header;
      await ok(A, 'POST', '/v1/models', admin, { name: model });
      const v1 = await upload(admin, model);
      await moveTo(admin, model, v1, 'staging');
      await moveTo(admin, model, v1, 'production');
      const v2 = await upload(admin, model);
      await moveTo(admin, model, v2, 'staging');
      for (const base of [A, B]) expect(await predictedVersion(base, `/v1/models/${model}/predict`, caller)).toBe(1);
      proxy.cut();
    });

    afterAll(() => proxy.restore());

    it('both replicas keep serving predictions; readiness is 503 (CONTRACT.md: Redis configured and down) and reports the fallback', async () => {
      for (const base of [A, B]) {
        expect(await predictedVersion(base, `/v1/models/${model}/predict`, caller)).toBe(1);
        const health = await eventually(
          'fallback reported',
          () => ready(base),
          (r) => r.body.checks?.rateLimit?.storage === 'memory-fallback',
          5_000,
        );
        expect(health.status).toBe(503);
        expect(health.body.code).toBe('NOT_READY');
        expect(health.body.checks).toMatchObject({
          database: { status: 'up' },
          redis: { status: 'down' },
          rateLimit: { status: 'up', storage: 'memory-fallback' },
          clusterEvents: { status: 'down' },
        });
      }
    });

    it('after Redis returns: changes made meanwhile and afterwards propagate, and the budget is shared again', async () => {
      // Promoted while B cannot hear about it: B learns on reconnection (resync and the pending event).
      await moveTo(admin, model, 2, 'production');
      proxy.restore();
      for (const base of [A, B]) {
        await eventually(
          'back on Redis',
          () => ready(base),
          (r) =>
            r.status === 200 &&
            r.body.details?.redis?.status === 'up' &&
            r.body.details?.rateLimit?.storage === 'redis' &&
            r.body.details?.clusterEvents?.status === 'up',
          15_000,
        );
      }
      const watcher = (await apiKey('consumer')).header;
      await eventually(
        'promotion made during the outage on B',
        () => predictedVersion(B, `/v1/models/${model}/predict`, watcher),
        (v) => v === 2,
      );

      const v3 = await upload(admin, model);
      await moveTo(admin, model, v3, 'staging');
      await moveTo(admin, model, v3, 'production');
      const watcher2 = (await apiKey('consumer')).header;
      await eventually(
        'promotion after the outage on B',
        () => predictedVersion(B, `/v1/models/${model}/predict`, watcher2),
        (v) => v === v3,
      );

      const { allowed } = await sharedBudget((await apiKey('consumer')).header);
      expect(allowed).toBe(LIMIT);
    });
  });
});
