import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AuditService } from '@app/audit';
import { artifactDigest, readArchive } from '@app/models';
import { createModelGateClient, getModelVersion, uploadModelVersion } from '../libs/sdk/src';
import { gzipBomb, tarArchive, zipArchive } from './support/archives';
import { apiKeyFor, authHeader, tokenFor } from './support/auth';
import { multipart } from './support/multipart';
import { createModel, fixtureFile, fixtureFiles, uploadVersion } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

const MAX_ARTIFACT_BYTES = 64 * 1024;

describe('model registry: versions and artifacts (e2e)', () => {
  let t: TestApp;
  let engineer: string;
  let consumer: string;

  beforeAll(async () => {
    t = await startTestApp({ MAX_ARTIFACT_BYTES: String(MAX_ARTIFACT_BYTES), MAX_ARTIFACT_FILES: '8' });
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    await createModel(t, engineer, 'iris');
  });
  afterAll(() => t?.close());

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const classifierFiles = () => new Map(fixtureFiles('classifier').map((f) => [f.filename, f.data]));

  describe('uploads', () => {
    it('registers model.json + shards as a draft version with the derived signature, labels, sha256 and size', async () => {
      const res = await uploadVersion(t, engineer, 'iris', fixtureFiles('classifier'), {
        description: 'first',
        metrics: JSON.stringify({ accuracy: 0.99 }),
        params: JSON.stringify({ epochs: 40 }),
      });
      expect(res.statusCode).toBe(201);
      const files = classifierFiles();
      expect(res.json()).toEqual({
        model: 'iris',
        version: 1,
        stage: 'draft',
        description: 'first',
        framework: 'tfjs-layers',
        inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [{ name: expect.any(String), datatype: 'FP32', shape: [-1, 3] }],
        labels: ['setosa', 'versicolor', 'virginica'],
        metrics: { accuracy: 0.99 },
        params: { epochs: 40 },
        sha256: artifactDigest(files),
        sizeBytes: [...files.values()].reduce((n, b) => n + b.length, 0),
        createdAt: expect.any(String),
        createdBy: expect.stringMatching(/@modelgate\.test$/),
        deprecatedAt: null,
        sunsetAt: null,
        successorVersion: null,
        source: null,
        signatureChanges: [],
        model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
      });
    });

    it.each([
      ['zip', 'classifier.zip'],
      ['tar.gz', 'classifier.tar.gz'],
    ])('registers a .%s archive with the same sha256 as the loose files', async (_kind, archive) => {
      const res = await uploadVersion(t, engineer, 'iris', [{ field: 'archive', filename: archive, data: fixtureFile(archive) }]);
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual(
        expect.objectContaining({
          stage: 'draft',
          sha256: artifactDigest(classifierFiles()),
          labels: ['setosa', 'versicolor', 'virginica'],
        }),
      );
    });

    it('registers multi-shard, graph and regressor models, and takes labels from the field over labels.json', async () => {
      await createModel(t, engineer, 'zoo');
      const shards = await uploadVersion(t, engineer, 'zoo', fixtureFiles('multi-shard'), { labels: '["a","b","c"]' });
      expect(shards.statusCode).toBe(201);
      expect(shards.json().labels).toEqual(['a', 'b', 'c']);
      const graph = await uploadVersion(t, engineer, 'zoo', fixtureFiles('graph'));
      expect(graph.statusCode).toBe(201);
      expect(graph.json()).toEqual(expect.objectContaining({ framework: 'tfjs-graph', version: 2 }));
      const regressor = await uploadVersion(t, engineer, 'zoo', fixtureFiles('regressor'));
      expect(regressor.statusCode).toBe(201);
      expect(regressor.json()).toEqual(
        expect.objectContaining({ version: 3, labels: null, outputs: [expect.objectContaining({ shape: [-1, 1] })] }),
      );
    });

    it('can be called through the generated SDK (multipart from the OpenAPI document)', async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.getHttpServer().address() as { port: number };
      const client = createModelGateClient({ baseUrl: `http://127.0.0.1:${port}`, accessToken: engineer });
      const files = fixtureFiles('classifier').map((f) => new File([new Uint8Array(f.data)], f.filename));
      const created = await uploadModelVersion({ client, path: { name: 'iris' }, body: { files, metrics: '{"via":"sdk"}' } });
      expect(created.response?.status).toBe(201);
      expect(created.data).toEqual(
        expect.objectContaining({ model: 'iris', stage: 'draft', metrics: { via: 'sdk' }, sha256: artifactDigest(classifierFiles()) }),
      );
      const read = await getModelVersion({ client, path: { name: 'iris', version: created.data!.version } });
      expect(read.data?.sha256).toBe(created.data?.sha256);
    });

    it('accepts an API key of an ml-engineer and records it as creator', async () => {
      const key = await apiKeyFor(t, 'ml-engineer');
      const body = await multipart(fixtureFiles('classifier'));
      const res = await inject({
        method: 'POST',
        url: '/v1/models/iris/versions',
        headers: { 'x-api-key': key, ...body.headers },
        payload: body.payload,
      });
      expect(res.statusCode).toBe(201);
      expect(res.json().createdBy).toMatch(/^api-key:/);
    });
  });

  describe('bad artifacts and fields', () => {
    const expectProblem = async (
      res: Awaited<ReturnType<typeof inject>>,
      status: number,
      code: string,
      extra: Record<string, unknown> = {},
    ) => {
      expect({ status: res.statusCode, body: res.json() }).toEqual({ status, body: expect.objectContaining({ code, ...extra }) });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    };
    const withFile = (name: string, data: Buffer) => fixtureFiles('classifier').map((f) => (f.filename === name ? { ...f, data } : f));

    it('422 for truncated weights', async () => {
      const shard = fixtureFile('classifier/group1-shard1of1.bin');
      await expectProblem(
        await uploadVersion(t, engineer, 'iris', withFile('group1-shard1of1.bin', shard.subarray(0, shard.length - 16))),
        422,
        'INVALID_MODEL_ARTIFACT',
        {
          reason: 'weight-size-mismatch',
        },
      );
    });

    it('422 for a manifest that names a missing shard or the wrong shapes', async () => {
      const model = JSON.parse(fixtureFile('classifier/model.json').toString());
      const missing = structuredClone(model);
      missing.weightsManifest[0].paths = ['elsewhere.bin'];
      await expectProblem(
        await uploadVersion(t, engineer, 'iris', withFile('model.json', Buffer.from(JSON.stringify(missing)))),
        422,
        'INVALID_MODEL_ARTIFACT',
        {
          reason: 'missing-weight-file',
        },
      );
      const reshaped = structuredClone(model);
      reshaped.weightsManifest[0].weights[0].shape = [4, 17];
      await expectProblem(
        await uploadVersion(t, engineer, 'iris', withFile('model.json', Buffer.from(JSON.stringify(reshaped)))),
        422,
        'INVALID_MODEL_ARTIFACT',
      );
    });

    it('422 for a model.json that is not JSON, and for an upload without model.json', async () => {
      await expectProblem(
        await uploadVersion(t, engineer, 'iris', withFile('model.json', Buffer.from('{"format": "layers-model",'))),
        422,
        'INVALID_MODEL_ARTIFACT',
        {
          reason: 'not-json',
        },
      );
      const noModel = fixtureFiles('classifier').filter((f) => f.filename !== 'model.json');
      await expectProblem(await uploadVersion(t, engineer, 'iris', noModel), 422, 'INVALID_MODEL_ARTIFACT', {
        reason: 'missing-model-json',
      });
    });

    it('422 for traversal, absolute-path and symlink archives, and for a zip bomb', async () => {
      const model = fixtureFile('classifier/model.json');
      const archives = [
        zipArchive([
          { path: 'model.json', data: model },
          { path: '../../etc/cron.d/evil', data: Buffer.from('x') },
        ]),
        tarArchive([
          { path: 'model.json', data: model },
          { path: '/etc/passwd', data: Buffer.from('x') },
        ]),
        tarArchive([{ path: 'model.json', type: 'SymbolicLink', linkpath: '/etc/passwd' }]),
        zipArchive([{ path: 'model.json', data: Buffer.alloc(5 * MAX_ARTIFACT_BYTES), deflate: true }]),
        gzipBomb(5 * MAX_ARTIFACT_BYTES),
      ];
      const reasons = [];
      for (const data of archives) {
        const res = await uploadVersion(t, engineer, 'iris', [{ field: 'archive', filename: 'model.archive', data }]);
        expect(res.statusCode).toBe(422);
        reasons.push(res.json().reason);
      }
      expect(reasons).toEqual(['unsafe-path', 'unsafe-path', 'link', 'too-large-decompressed', 'too-large-decompressed']);
    });

    it('keeps sub-folder paths of loose files and refuses unsafe ones', async () => {
      const model = JSON.parse(fixtureFile('classifier/model.json').toString());
      model.weightsManifest[0].paths = ['weights/group1-shard1of1.bin'];
      const nested = [
        { field: 'files', filename: 'model.json', data: Buffer.from(JSON.stringify(model)) },
        { field: 'files', filename: 'weights/group1-shard1of1.bin', data: fixtureFile('classifier/group1-shard1of1.bin') },
      ];
      const ok = await uploadVersion(t, engineer, 'iris', nested);
      expect(ok.statusCode).toBe(201);
      const escape = [...fixtureFiles('classifier'), { field: 'files', filename: '../../outside.bin', data: Buffer.from('x') }];
      await expectProblem(await uploadVersion(t, engineer, 'iris', escape), 422, 'UNSAFE_ARCHIVE', { reason: 'unsafe-path' });
    });

    it('413 for an upload over MAX_ARTIFACT_BYTES, 422 for too many files', async () => {
      const big = [...fixtureFiles('classifier'), { field: 'files', filename: 'padding.bin', data: Buffer.alloc(MAX_ARTIFACT_BYTES + 1) }];
      await expectProblem(await uploadVersion(t, engineer, 'iris', big), 413, 'ARTIFACT_TOO_LARGE');
      const split = Array.from({ length: 3 }, (_, i) => ({
        field: 'files',
        filename: `pad${i}.bin`,
        data: Buffer.alloc(MAX_ARTIFACT_BYTES / 2),
      }));
      await expectProblem(await uploadVersion(t, engineer, 'iris', [...fixtureFiles('classifier'), ...split]), 413, 'ARTIFACT_TOO_LARGE');
      const many = Array.from({ length: 9 }, (_, i) => ({ field: 'files', filename: `f${i}.bin`, data: Buffer.from([i]) }));
      await expectProblem(await uploadVersion(t, engineer, 'iris', many), 422, 'TOO_MANY_FILES');
    });

    it('400 naming the field for bad labels, metrics, params, unknown fields, and missing or doubled artifacts', async () => {
      const cases: [Record<string, string>, string][] = [
        [{ labels: '{"not":"an array"}' }, 'labels'],
        // Class names may be comma-separated, but none may be empty.
        [{ labels: 'setosa,,virginica' }, 'labels'],
        [{ metrics: '[0.9]' }, 'metrics'],
        [{ params: 'nope' }, 'params'],
        [{ owner: 'someone' }, 'owner'],
      ];
      for (const [fields, field] of cases) {
        const res = await uploadVersion(t, engineer, 'iris', fixtureFiles('classifier'), fields);
        expect({ status: res.statusCode, errors: res.json().errors }).toEqual({
          status: 400,
          errors: [expect.objectContaining({ field })],
        });
      }
      const none = await uploadVersion(t, engineer, 'iris', [], { description: 'no files' });
      expect({ status: none.statusCode, field: none.json().errors?.[0]?.field }).toEqual({ status: 400, field: 'files' });
      const both = await uploadVersion(t, engineer, 'iris', [
        ...fixtureFiles('classifier'),
        { field: 'archive', filename: 'a.zip', data: fixtureFile('classifier.zip') },
      ]);
      expect({ status: both.statusCode, field: both.json().errors?.[0]?.field }).toEqual({ status: 400, field: 'archive' });
    });

    it('422 when the labels do not fit the output, 415 for a JSON body, 404 for an unknown model', async () => {
      const res = await uploadVersion(t, engineer, 'iris', fixtureFiles('classifier'), { labels: '["only","two"]' });
      expect({ status: res.statusCode, errors: res.json().errors }).toEqual({
        status: 422,
        errors: [expect.objectContaining({ field: 'labels' })],
      });
      const json = await inject({ method: 'POST', url: '/v1/models/iris/versions', headers: authHeader(engineer), payload: { files: [] } });
      expect(json.statusCode).toBe(415);
      await expectProblem(await uploadVersion(t, engineer, 'no-such-model'), 404, 'MODEL_NOT_FOUND');
    });

    it('leaves no version, no number and no artifact behind when the commit fails', async () => {
      const model = await createModel(t, engineer, 'atomic');
      expect((await uploadVersion(t, engineer, 'atomic')).statusCode).toBe(201);
      const audit = t.app.get(AuditService);
      const spy = jest.spyOn(audit, 'record').mockRejectedValueOnce(new Error('injected failure inside the transaction'));
      try {
        const failed = await uploadVersion(t, engineer, 'atomic');
        expect(failed.statusCode).toBe(500);
      } finally {
        spy.mockRestore();
      }
      const db = t.app.get(DataSource);
      expect(await db.query(`SELECT version FROM model_versions WHERE model_id = $1 ORDER BY version`, [model.id])).toEqual([
        { version: 1 },
      ]);
      expect(await db.query(`SELECT last_version FROM models WHERE id = $1`, [model.id])).toEqual([{ last_version: 1 }]);
      const dir = join(t.dataDir, 'artifacts', model.id);
      expect(existsSync(dir) ? readdirSync(dir) : []).toHaveLength(1);
      const next = await uploadVersion(t, engineer, 'atomic');
      expect(next.json().version).toBe(2);
    });
  });

  describe('version numbers', () => {
    it('numbers 8 concurrent uploads 1..8 exactly', async () => {
      await createModel(t, engineer, 'parallel');
      const results = await Promise.all(Array.from({ length: 8 }, () => uploadVersion(t, engineer, 'parallel')));
      expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
      expect(results.map((r) => r.json().version).sort((a: number, b: number) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const model = await inject({ method: 'GET', url: '/v1/models/parallel', headers: authHeader(consumer) });
      expect(model.json().latestVersion).toBe(8);
    });

    it('never reuses a number after a failed upload', async () => {
      await createModel(t, engineer, 'no-reuse');
      expect((await uploadVersion(t, engineer, 'no-reuse')).json().version).toBe(1);
      const bad = await uploadVersion(
        t,
        engineer,
        'no-reuse',
        fixtureFiles('classifier').filter((f) => f.filename !== 'model.json'),
      );
      expect(bad.statusCode).toBe(422);
      expect((await uploadVersion(t, engineer, 'no-reuse')).json().version).toBe(2);
    });
  });

  describe('reads', () => {
    it('lists versions newest first with paging and a stage filter', async () => {
      await createModel(t, engineer, 'listed');
      for (let i = 0; i < 3; i++) await uploadVersion(t, engineer, 'listed');
      await inject({
        method: 'POST',
        url: '/v1/models/listed/versions/2/transitions',
        headers: authHeader(engineer),
        payload: { to: 'staging' },
      });
      const all = await inject({ method: 'GET', url: '/v1/models/listed/versions?limit=2', headers: authHeader(consumer) });
      expect(all.json().items.map((v: { version: number }) => v.version)).toEqual([3, 2]);
      expect(all.json().page).toEqual({ limit: 2, offset: 0, total: 3 });
      const staging = await inject({ method: 'GET', url: '/v1/models/listed/versions?stage=staging', headers: authHeader(consumer) });
      expect(staging.json().items.map((v: { version: number }) => v.version)).toEqual([2]);
      const bad = await inject({ method: 'GET', url: '/v1/models/listed/versions?stage=live', headers: authHeader(consumer) });
      expect(bad.statusCode).toBe(400);
    });

    it('gets one version with an ETag; 404 for a missing one, 400 for a non-number', async () => {
      const got = await inject({ method: 'GET', url: '/v1/models/iris/versions/1', headers: authHeader(consumer) });
      expect(got.statusCode).toBe(200);
      expect(got.headers.etag).toMatch(/^"/);
      expect((await inject({ method: 'GET', url: '/v1/models/iris/versions/999', headers: authHeader(consumer) })).json().code).toBe(
        'MODEL_VERSION_NOT_FOUND',
      );
      expect((await inject({ method: 'GET', url: '/v1/models/iris/versions/one', headers: authHeader(consumer) })).statusCode).toBe(400);
    });

    it('downloads the artifact as a reproducible .tar.gz holding exactly the uploaded files (ml-engineer only)', async () => {
      const res = await inject({ method: 'GET', url: '/v1/models/iris/versions/1/artifact', headers: authHeader(engineer) });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/gzip');
      expect(res.headers['content-disposition']).toBe('attachment; filename="iris-v1.tar.gz"');
      const files = await readArchive(res.rawPayload, { maxEntries: 10, maxTotalBytes: MAX_ARTIFACT_BYTES });
      expect(files).toEqual(classifierFiles());
      const version = await inject({ method: 'GET', url: '/v1/models/iris/versions/1', headers: authHeader(engineer) });
      expect(artifactDigest(files)).toBe(version.json().sha256);
      const again = await inject({ method: 'GET', url: '/v1/models/iris/versions/1/artifact', headers: authHeader(engineer) });
      expect(again.rawPayload.equals(res.rawPayload)).toBe(true);
      expect((await inject({ method: 'GET', url: '/v1/models/iris/versions/1/artifact', headers: authHeader(consumer) })).statusCode).toBe(
        403,
      );
    });

    it('lets consumers read but not upload; anonymous callers get 401', async () => {
      expect((await uploadVersion(t, consumer, 'iris')).statusCode).toBe(403);
      expect((await inject({ method: 'GET', url: '/v1/models/iris/versions' })).statusCode).toBe(401);
      expect((await inject({ method: 'GET', url: '/v1/models/iris/versions', headers: authHeader(consumer) })).statusCode).toBe(200);
    });
  });
});
